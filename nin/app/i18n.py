"""English and 简体中文 for the page: every string of the app's own, in one place (app.py only wires).

Two kinds of text, because Gradio's `gr.I18n` "can only be used to translate static text in the
frontend, not values in the backend" (gradio.Blocks.launch):
- the page's static text (titles, tab names, explanations, labels, buttons): `t(key)` gives the
  gr.I18n key; `page_i18n(delete_after)` is the gr.I18n that `launch(i18n=...)` takes. Gradio's
  page picks the language from the browser (navigator.language, or the one chosen in its Settings
  panel), English by default, and translates its own controls too.
- what the server makes for the page (the Guesses' class names, the top line, the model card, the
  inside view's captions, the Architecture table, error sentences): `tr(english, lang)` looks the
  English text up. The server learns the page's language from a cookie that the page's own script
  (`HEAD`) sets to the language Gradio chose (`<html lang>`); `page_language(request)` reads it.
  The public API (gradio_client, no cookie) always gets English: class names as in Fashion-MNIST.

Terms follow d2l's Chinese edition (zh.d2l.ai, 《动手学深度学习》: NiN块, 1×1卷积层, 全连接层,
全局平均汇聚层, 最大汇聚层, 暂退法), the class names the Chinese Fashion-MNIST README's.
"""
import contextlib
import json
import re

from nin.core.data import CLASS_NAMES

EN, ZH = "en", "zh-CN"  # Gradio's own locale codes (its zh-CN.json): 简体中文 is zh-CN only
COOKIE = "nin_lang"

CLASS_NAMES_ZH = ["T恤/上衣", "裤子", "套头衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴"]
CLASS_ZH = dict(zip(CLASS_NAMES, CLASS_NAMES_ZH))

TITLE = {EN: "NiN garment classifier", ZH: "NiN 服装分类器"}

# --- the page's static text: key -> (English, 简体中文) ---

UI = {
    "about": (
        """# NiN garment classifier
Draw a garment or upload a photo: a Network in Network trained on Fashion-MNIST guesses what it is.""",
        """# NiN 服装分类器
画一件服装或上传一张照片：一个在 Fashion-MNIST 上训练的网络中的网络（NiN）会猜它是什么。"""),
    "about.more": (
        """The network (Lin et al., 2013) was trained on
[Fashion-MNIST](https://github.com/zalandoresearch/fashion-mnist); it has no fully connected layer:
its last block makes one 5×5 map per class and averages it, so the map of the winning class shows
*where* it saw the garment (*Where it looked*). *What the model sees* is the 28×28 image your
drawing or photo becomes. The Architecture tab lists every layer; the Model tab, how the weights
were trained and how well they do.""",
        """这个网络（Lin 等，2013）在 [Fashion-MNIST](https://github.com/zalandoresearch/fashion-mnist)
上训练；它没有全连接层：最后一个 NiN块为每个类别输出一张 5×5 的图，全局平均汇聚层再取它的平均值，
所以获胜类别的那张图显示了它在*哪里*看到了这件服装（*它看向哪里*）。*模型所见*是你的画或照片
变成的 28×28 图像。“架构”页列出每一层；“模型”页说明权重是怎样训练的、效果如何。"""),
    "how_it_works": ("How it works", "原理"),
    "tab.draw": ("Draw", "画图"),
    "tab.upload": ("Upload", "上传"),
    "tab.inside": ("Inside the network", "网络内部"),
    "tab.architecture": ("Architecture", "架构"),
    "tab.model": ("Model", "模型"),
    "sketch": ("Draw a garment", "画一件服装"),
    # what the network knows (docs/pipeline.md: top views, arms held out and shorts stay wrong)
    "sketch.tip": ("Tip: draw one garment the way Fashion-MNIST shows it: from the front, filling the square, "
                   "sleeves hanging down; shoes and boots from the side, toe to the left.",
                   "提示：照 Fashion-MNIST 的样子画一件服装：正面、占满方框、袖子自然下垂；鞋和靴子画侧面，鞋尖朝左。"),
    "upload.tip": ("Tip: one garment, laid flat or hung up, filling most of the photo; shoes from the side.",
                   "提示：一件服装，平铺或挂起，占满照片的大部分；鞋子拍侧面。"),
    "predict": ("Predict", "预测"),
    "look_inside": ("Look inside the network", "查看网络内部"),
    "upload": ("Photo or image of a garment", "服装的照片或图片"),
    "examples": ("Examples: test-set garments and photo-like images; real phone photos (CC0, "
                 "alexeygrigorev/clothing-dataset-small) and Quick, Draw! doodles (CC BY 4.0, Google Creative Lab)",
                 "示例：测试集中的服装和像照片的图片；真实的手机照片（CC0，alexeygrigorev/clothing-dataset-small）"
                 "和 Quick, Draw! 涂鸦（CC BY 4.0，Google Creative Lab）"),
    "guesses": ("Guesses", "猜测"),
    "seen": ("What the model sees (28×28)", "模型所见（28×28）"),
    "cam": ("Where it looked (class map)", "它看向哪里（类别图）"),
    "kept": ("What the pipeline kept of your photo (what it cut away is faded)", "处理流程保留的部分（被裁掉的部分已淡化）"),
    "inside.explanation": (
        """### Inside the network
Every layer of the seed's table, in order, for **your last drawing or upload** (an example until
you make one), from one forward pass. Each NiN block is a k×k convolution followed by two
**1×1 convolutions**: a 1×1 convolution looks at one position at a time and mixes its channels, so
it is a small fully connected layer applied at every pixel (the *network in the network*); it adds
non-linearity without blurring the picture. There is **no dense layer**: the last block has one
channel per class, so it draws ten 5×5 class maps; global average pooling turns each map into its
mean, which *is* that class's logit, and softmax turns the ten logits into the Guesses.
Grids show each layer's 16 most active channels (highest mean), numbered as in the network, on one
colour scale per layer (black = 0). Dropout does nothing at inference: its grid equals the pooling
before it. Click a picture to enlarge it.""",
        """### 网络内部
对**你最近一次的画或上传**（在你画或上传之前是一个示例），按顺序展示原文表格中每一层的输出，都来自同一次
前向传播。每个 NiN块是一个 k×k 卷积层后接两个 **1×1卷积层**：1×1卷积层一次只看一个位置，把这个位置的
各个通道混合起来，所以它相当于在每个像素上使用的一个小全连接层（即“网络中的网络”）；它增加了非线性，
又不会让图像变模糊。这里**没有全连接层**：最后一个 NiN块每个类别一个通道，画出十张 5×5 的类别图；
全局平均汇聚层把每张图变成它的平均值，这个平均值*就是*该类别的 logit，softmax 再把十个 logit 变成“猜测”。
网格展示每层最活跃的 16 个通道（平均值最高的），编号与网络中的相同，每层一个颜色标尺（黑色 = 0）。
暂退法（Dropout）在推理时什么也不做：它的网格与它前面的最大汇聚层相同。点击图片可以放大。"""),
    "inside.layers_from": ("Layers from:", "各层输出来自："),
    "inside.gallery": ("Every layer, in order (click to enlarge)", "每一层，按顺序（点击放大）"),
    "pipeline": (
        """Every input goes through one pipeline (`nin/pipeline/preprocess.py`) and becomes a 28×28 grey image, a light
garment on black, as Fashion-MNIST was made. On a plain white, grey or black background it is
negated where the background is light; on a plain coloured backdrop the garment is what differs from
the backdrop's colour; on a busy background (a bed, a floor) OpenCV GrabCut cuts the garment out
first. Of two separate garments of similar size (a pair of shoes) the larger is kept; it is then
trimmed, its longest side scaled to 28 px and centred. A drawing (the Draw tab, or a line drawing uploaded as a file) keeps its strokes,
thickened. The 28×28 image is resized to 224×224 inside the compiled model, the input size the seed
network's shapes below are computed for.""",
        """每个输入都经过同一条流水线（`nin/pipeline/preprocess.py`），变成一张 28×28 的灰度图：黑底上的浅色服装，与
Fashion-MNIST 的制作方法一样。白、灰或黑色纯色背景的照片，背景是浅色时取反；纯色彩色背景上，与背景颜色不同的部分就是
服装；背景杂乱时（床、地板），先用 OpenCV GrabCut 把服装抠出来。若有两件分开、大小相近的服装（一双鞋），只保留
较大的一件；然后裁到服装所在的区域，最长边缩放到 28 像素并居中。画出来的图（“画图”页，或作为文件上传的
线稿）保留笔画，并把笔画加粗。这张 28×28 的图像随后在编译好的模型内部缩放到 224×224，下表中原文网络各层的
形状就是按这个输入尺寸算出的。"""),
    "arch.table": ("Layers for a 1×224×224×1 input", "输入为 1×224×224×1 时的各层"),
    "arch.image": ("The network", "网络结构"),
    "arch.refresh": ("Refresh table", "刷新表格"),
    "model.curves": ("Training curves", "训练曲线"),
    "model.confusion": ("Confusion matrix (test set)", "混淆矩阵（测试集）"),
    "weights": ("Weights", "权重"),
    "top_k": ("Top-k guesses", "前 k 个猜测"),
}

# The verdict line above the Guesses when the garment check says "not a garment" (nin/app/demo.py).
NOT_A_GARMENT = {
    EN: "This doesn't look like any of the ten garments I know (" + ", ".join(CLASS_NAMES)
        + "); the guesses below are what it resembles most.",
    ZH: "这看起来不像我认识的十种服装（" + "、".join(CLASS_NAMES_ZH) + "）中的任何一种；下面的猜测只是它最像的。",
}

# What each training recipe is, for the Model tab's comparison line (nin/app/demo.py recipes_compared).
RECIPES = {
    "modern": {EN: "*modern*: BatchNorm (folded into the convolutions after training), AdamW with warm-up and "
                   "cosine decay, flips, shifts and erasing, input sizes grown in stages: {acc} test top-1",
               ZH: "*modern*：批量规范化（训练后折叠进卷积层）、AdamW 加预热与余弦衰减、翻转/平移/擦除增广、"
                   "分阶段增大输入尺寸：测试集 top-1 {acc}"},
    "d2l": {EN: "*d2l* (the seed article's): the plain network, SGD at 0.1, batch 128, 10 epochs at 224 px, "
                "no augmentation: {acc} test top-1",
            ZH: "*d2l*（原文的训练方法）：原始网络、SGD 学习率 0.1、批量大小 128、224 像素训练 10 轮、"
                "不做增广：测试集 top-1 {acc}"},
}

# --- what the server makes for the page: English text (or template) -> 简体中文 ---

TEXT = {
    # the Architecture table
    "layer": "层", "type": "类型", "kernel/stride": "卷积核/步幅", "output shape": "输出形状",
    "parameters": "参数量", "total": "合计",
    "Sequential": "NiN块", "MaxPooling2D": "最大汇聚层", "Dropout": "暂退法（Dropout）",
    "GlobalAveragePooling2D": "全局平均汇聚层", "Reshape": "变形（Reshape）", "Flatten": "展平（Flatten）",
    # the model card
    "- **Recipe:** {recipe}, {epochs} epochs, {size} px, {n_train} training images":
        "- **训练方案：** {recipe}，{epochs} 轮，{size} 像素，{n_train} 张训练图像",
    "- **Test accuracy:** top-1 {top1}, top-3 {top3} on {n_test} Fashion-MNIST test images":
        "- **测试准确率：** 在 {n_test} 张 Fashion-MNIST 测试图像上 top-1 {top1}，top-3 {top3}",
    "- **Parameters:** {params}": "- **参数量：** {params}",
    "- **Trained on:** {hardware}, {seconds} s, {rate} images/s ({backend} backend, Keras {keras}), {date}":
        "- **训练环境：** {hardware}，{seconds} 秒，每秒 {rate} 张图像（{backend} 后端，Keras {keras}），{date}",
    "| class | accuracy |": "| 类别 | 准确率 |",
    "No metadata found beside the weights ({name}).": "权重文件旁没有找到元数据（{name}）。",
    "**The same network, two recipes:**": "**同一个网络，两种训练方法：**",
    # the inside view's captions
    "your drawing": "你的画",
    "your upload": "你的上传",
    "an example (a test-set T-shirt): draw or upload to see your own":
        "一个示例（测试集中的一件 T恤）：画一件或上传一张，就能看到你自己的",
    "28×28 → 224×224, bilinear": "28×28 → 224×224，双线性插值",
    "10 class maps, mean = logit": "10 张类别图，平均值 = logit",
    "highest: {name} {value}": "最高：{name} {value}",
    "{n} most active of {channels} channels": "{channels} 个通道中最活跃的 {n} 个",
    "identity at inference: the same values as the layer before": "推理时是恒等映射：值与前一层相同",
    "logits": "logits（未归一化的预测）",
    "the same ten numbers, as a 1×1×10 map": "同样的十个数，变形为 1×1×10 的图",
    "the mean of each class map = the logits": "每张类别图的平均值 = logits",
    "the Guesses ({runtime})": "猜测（{runtime}）",
    # the retention line's duration
    "{n} second": "{n} 秒", "{n} seconds": "{n} 秒", "{n} minute": "{n} 分钟", "{n} minutes": "{n} 分钟",
    "{n} hour": "{n} 小时", "{n} hours": "{n} 小时", "{n} day": "{n} 天", "{n} days": "{n} 天",
    "Images are deleted from this server after {duration} and never leave it.":
        "图片会在 {duration}后从本服务器删除，而且从不离开本服务器。",
}

# Error sentences shown on the page (nin/pipeline/preprocess.py, nin/serve/websafety.py, nin/app/demo.py): a pattern
# over the English sentence -> 简体中文 (\1... are the pattern's groups). One not listed stays English.
ERRORS = [
    (r"This file is not an image this app can read; upload a PNG, JPEG, GIF, BMP or WebP\.",
     "这个文件不是本应用能读取的图像；请上传 PNG、JPEG、GIF、BMP 或 WebP 图像。"),
    (r"The image file is damaged or truncated and cannot be decoded; upload another copy\.",
     "图像文件已损坏或不完整，无法解码；请上传另一份。"),
    (r"The file is larger than (\d+) MB; upload a smaller image\.", r"文件大于 \1 MB；请上传更小的图像。"),
    (r"The image is (\d+)x(\d+) pixels, more than (\d+) megapixels; upload a smaller one\.",
     r"图像有 \1×\2 像素，超过 \3 百万像素；请上传更小的图像。"),
    (r"The image is empty\.", "图像是空的。"),
    (r"An array of shape (.+) and type (.+) is not an image\.", r"形状为 \1、类型为 \2 的数组不是图像。"),
    (r"The image is too large to open safely \(decompression bomb\); upload a smaller one\.",
     "图像太大，无法安全地打开（解压炸弹）；请上传更小的图像。"),
    (r"The image is too large to decode; upload a smaller one\.", "图像太大，无法解码；请上传更小的图像。"),
    (r"No image: upload a photo or pick an example first\.", "没有图像：请先上传一张照片或选一个示例。"),
    (r"File not found \((.*)\); upload the image again\.", r"找不到文件（\1）；请重新上传图像。"),
    (r"The upload could not be read as a file; upload the image again\.", "上传的内容无法作为文件读取；请重新上传图像。"),
    (r"The file is empty \(0 bytes\)\.", "文件是空的（0 字节）。"),
    (r"Images in colour mode (.+) are not supported; save it as an RGB PNG or JPEG\.",
     r"不支持颜色模式为 \1 的图像；请把它另存为 RGB 的 PNG 或 JPEG。"),
    (r"The image has no pixels\.", "图像没有像素。"),
    (r"No garment found: the image looks blank or uniform\.", "没有找到服装：图像看起来是空白的或颜色均匀。"),
    (r"The image is only (\d+)x(\d+) pixels; upload a real photo or drawing\.",
     r"图像只有 \1×\2 像素；请上传真正的照片或画。"),
    (r"Draw something first\.", "请先画点什么。"),
    (r"Draw something first: the canvas is empty\.", "请先画点什么：画布是空的。"),
    (r"The live drawing was not a PNG drawing; press Predict instead\.", "实时画图的数据不是 PNG 图；请改按“预测”。"),
    (r"The live drawing was damaged in transit; press Predict instead\.", "实时画图的数据在传输中损坏；请改按“预测”。"),
    (r"Images must be uploaded, not given as a URL\.", "图像必须上传，不能以网址给出。"),
    (r"The input is not an uploaded file; upload an image\.", "输入不是上传的文件；请上传一张图像。"),
    (r"That file is not available to this app; upload it instead\.", "本应用无法访问这个文件；请改为上传它。"),
    (r"This image could not be processed; try another PNG or JPEG\.", "无法处理这张图像；请换一张 PNG 或 JPEG 试试。"),
    (r"The classifier failed on this request; please try again\.", "分类器处理这个请求时出错了；请重试。"),
]
_ERRORS = [(re.compile(pattern), zh) for pattern, zh in ERRORS]


BUILT_AT_LAUNCH = ("retention",)  # keys whose text page_i18n() makes from the app's settings


def t(key):
    """The gr.I18n key of a static string of the page (unknown keys fail here, not on the page)."""
    from gradio.i18n import I18nData

    if key not in UI and key not in BUILT_AT_LAUNCH:
        raise KeyError(f"no page text {key!r} in nin/app/i18n.py")
    return I18nData(key)


def retention_note(delete_after, lang=EN):
    from nin.serve.websafety import describe_duration

    english = describe_duration(delete_after)  # "1 hour", "90 seconds"
    n, unit = english.split(" ", 1)
    duration = tr("{n} " + unit, lang).format(n=n)
    return tr("Images are deleted from this server after {duration} and never leave it.", lang).format(duration=duration)


# Markdown reads a line break inside a paragraph as a space, which Chinese does not put between its
# characters: a break between two Chinese characters (or full-width punctuation) is dropped, except
# after a heading or a table row and before a Markdown block.
_CJK = "\u3000-\u9fff\uff00-\uffef\u201c\u201d"
_CJK_BREAK = re.compile(rf"(?m)^(?![#|])(.*[{_CJK}])\n(?=\**[{_CJK}])")


def join_cjk_lines(text):
    return _CJK_BREAK.sub(r"\1", text)


def page_i18n(delete_after):
    """The gr.I18n for launch(i18n=...): every key of UI, and the retention line for `delete_after`."""
    import gradio as gr

    en = {key: pair[0] for key, pair in UI.items()}
    zh = {key: join_cjk_lines(pair[1]) for key, pair in UI.items()}
    en["retention"], zh["retention"] = retention_note(delete_after, EN), retention_note(delete_after, ZH)
    return gr.I18n(**{EN: en, ZH: zh})


# The page tells the server its language: Gradio sets <html lang> to the language it shows (and again
# when Settings changes it); this keeps a cookie equal to it, sent with every request of the page.
# It also puts the title in that language (gr.Blocks(title=) takes no gr.I18n key in Gradio 6.31).
HEAD = """<script>
(() => {
  const titles = %s;
  const put = () => {
    const lang = document.documentElement.lang || "en";
    // in an https iframe (a Hugging Face Space) only a partitioned cookie reaches the server
    const where = location.protocol === "https:" ? "SameSite=None; Secure; Partitioned" : "SameSite=Lax";
    document.cookie = "%s=" + encodeURIComponent(lang) + "; path=/; " + where;
    const title = titles[lang] || titles.en;
    if (document.title !== title) document.title = title;
  };
  put();
  const watch = new MutationObserver(put);  // <html lang> changes, and Gradio setting the <title>
  watch.observe(document.documentElement, {attributes: true, attributeFilter: ["lang"]});
  watch.observe(document.head, {childList: true, subtree: true, characterData: true});
})();
</script>""" % (json.dumps(TITLE, ensure_ascii=False), COOKIE)


def page_language(request):
    """ZH when the page that sent `request` shows 简体中文, else EN (also for API clients: no cookie)."""
    try:
        value = request.cookies.get(COOKIE, "") if request is not None else ""
    except Exception:  # not an HTTP request (e.g. called from Python)
        return EN
    return ZH if str(value).lower() == ZH.lower() else EN


def tr(english, lang):
    """The text in `lang`: English as it is, 简体中文 where TEXT has it (else the English)."""
    return TEXT.get(english, english) if lang == ZH else english


def class_name(name, lang):
    return CLASS_ZH.get(name, name) if lang == ZH else name


def label(value, lang):
    """A Label value {class: probability} with the class names in `lang`."""
    if lang != ZH or not isinstance(value, dict):
        return value
    return {class_name(k, lang): p for k, p in value.items()}


def error(message, lang):
    """An error sentence (or several, one after another) in `lang`."""
    if lang != ZH:
        return message
    for pattern, zh in _ERRORS:
        if pattern.fullmatch(message):
            return pattern.sub(zh, message)
    return message


@contextlib.contextmanager
def errors_in(lang):
    """gr.Error raised inside, re-raised with its sentence in `lang`."""
    import gradio as gr

    try:
        yield
    except gr.Error as e:
        if lang == EN:
            raise
        raise gr.Error(error(str(e.message), lang), print_exception=False) from None
