"""English and 简体中文 (nin/app/i18n.py): every string complete in both, the page's language read from
its cookie, the API left in English. Fast: no server, no TensorFlow."""
import ast
import re
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import numpy as np
import pytest

from nin.app import demo, i18n, inside

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u4e00-\u9fff]")
ZH_PAGE = SimpleNamespace(cookies={i18n.COOKIE: "zh-CN"})


def test_every_page_string_has_english_and_chinese():
    for key, (en, zh) in i18n.UI.items():
        assert en.strip() and zh.strip(), key
        assert CJK.search(zh), f"{key}: no Chinese in {zh!r}"
        # svelte-i18n reads the texts as ICU messages: a brace would be taken for a placeholder
        assert not re.search(r"[{}]", en + zh), key
    for en, zh in i18n.TEXT.items():  # the same placeholders in both
        assert sorted(re.findall(r"{\w+}", en)) == sorted(re.findall(r"{\w+}", zh)), (en, zh)


def test_every_key_the_page_uses_exists():
    keys = re.findall(r'\bT\("([^"]+)"\)', (ROOT / "app.py").read_text())
    keys += re.findall(r'\bpicture\("([^"]+)"', (ROOT / "app.py").read_text())
    assert len(keys) > 20
    for key in keys:
        assert key in i18n.UI or key in i18n.BUILT_AT_LAUNCH, key
    with pytest.raises(KeyError):
        i18n.t("no.such.key")
    translations = i18n.page_i18n(3600).translations_dict
    assert set(translations) == {"en", "zh-CN"} and set(translations["en"]) == set(translations["zh-CN"])
    assert translations["zh-CN"]["tab.draw"] == "画图" and translations["en"]["tab.draw"] == "Draw"


def test_class_names_in_chinese():
    assert i18n.CLASS_NAMES_ZH == ["T恤/上衣", "裤子", "套头衫", "连衣裙", "外套", "凉鞋", "衬衫", "运动鞋", "包", "短靴"]
    value = {"Trouser": 0.9, "Dress": 0.1}
    assert i18n.label(value, i18n.ZH) == {"裤子": 0.9, "连衣裙": 0.1}
    assert i18n.label(value, i18n.EN) is value


def test_the_page_language_comes_from_its_cookie_and_defaults_to_english():
    assert i18n.page_language(ZH_PAGE) == i18n.ZH
    assert i18n.page_language(SimpleNamespace(cookies={i18n.COOKIE: "en"})) == i18n.EN
    assert i18n.page_language(SimpleNamespace(cookies={i18n.COOKIE: "zh-TW"})) == i18n.EN  # Gradio's zh-TW: not ours
    assert i18n.page_language(SimpleNamespace(cookies={})) == i18n.EN  # an API client
    assert i18n.page_language(None) == i18n.EN
    assert i18n.COOKIE in i18n.HEAD and "documentElement.lang" in i18n.HEAD


def _messages(path, calls):
    """English sentences given to calls of `calls` in a module: literals, f-strings (each {...} as
    '7') and module-level constants they name."""
    tree = ast.parse(Path(path).read_text())

    def text(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.JoinedStr):
            return "".join(v.value if isinstance(v, ast.Constant) else "7" for v in node.values)
        return None

    constants = {t.id: text(n.value) for n in tree.body if isinstance(n, ast.Assign)
                 for t in n.targets if isinstance(t, ast.Name) and text(n.value)}
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in calls:
            for arg in node.args[:1]:
                found.add(text(arg) if text(arg) else constants.get(getattr(arg, "id", None)))
    return {m for m in found if m}


def test_every_error_sentence_on_the_page_has_a_chinese_translation():
    sentences = (_messages(ROOT / "nin" / "pipeline" / "preprocess.py", {"PreprocessError"})
                 | _messages(ROOT / "nin" / "serve" / "websafety.py", {"Refused", "Error"})
                 | _messages(ROOT / "nin" / "serve" / "serving.py", {"PreprocessError"})  # the live drawing's
                 | {demo.READ_FAILED, demo.MODEL_FAILED})
    assert len(sentences) > 15 and "Draw something first." in sentences
    missing = [s for s in sentences if not CJK.search(i18n.error(s, i18n.ZH))]
    assert not missing, f"add these to nin/app/i18n.py ERRORS: {missing}"
    assert i18n.error("The image is only 7x9 pixels; upload a real photo or drawing.", i18n.ZH) == \
        "图像只有 7×9 像素；请上传真正的照片或画。"
    assert i18n.error("Draw something first.", i18n.EN) == "Draw something first."
    assert i18n.error("A sentence nobody translated.", i18n.ZH) == "A sentence nobody translated."


def test_errors_reach_the_page_in_its_language():
    with pytest.raises(gr.Error, match="请先画点什么。"):
        with i18n.errors_in(i18n.ZH):
            raise gr.Error("Draw something first.")
    with pytest.raises(gr.Error, match="Draw something first."):
        with i18n.errors_in(i18n.EN):
            raise gr.Error("Draw something first.")


def test_retention_line():
    assert i18n.retention_note(3600, i18n.EN) == "Images are deleted from this server after 1 hour and never leave it."
    assert i18n.retention_note(3600, i18n.ZH) == "图片会在 1 小时后从本服务器删除，而且从不离开本服务器。"
    assert i18n.retention_note(90, i18n.ZH).startswith("图片会在 90 秒后")


def test_bind_leaves_the_request_parameter_visible_to_gradio():
    from gradio.helpers import special_args

    for fn, inputs in [(demo.bind(demo.show_sketch, "models"), ["s", 3, "w"]),
                       (demo.bind(demo.show_live, "models"), ["png", 3, "w", "last"]),
                       (demo.bind(demo.sketch_changed, "models"), ["s", 3, "w", "live", "last"]),
                       (demo.bind(inside.inside_last, "views"), ["last", "w", False]),
                       (demo.bind(demo.show_again, "models"), ["drawn", "u", 3, "w"]),
                       (demo.bind(demo.weights_changed, "models", "views"), ["drawn", "u", 3, "w", "last"]),
                       (demo.bind(demo.model_card, "models"), ["w"]),
                       (demo.architecture_rows, [])]:
        assert special_args(fn, list(inputs), request="REQUEST")[0] == [*inputs, "REQUEST"], fn
    # the public API functions take no request: the same call as before
    assert special_args(demo.bind(demo.predict_sketch, "models"), ["s", 3, "w"], request="R")[0] == ["s", 3, "w"]


def test_architecture_table_in_chinese_for_the_page_and_english_for_the_api():
    english = demo.architecture_rows()
    assert english[-1][0] == "total" and english[0][1] == "Sequential"
    table = demo.architecture_rows(ZH_PAGE)
    assert isinstance(table, gr.Dataframe)
    value = table.value
    assert value["headers"] == ["层", "类型", "卷积核/步幅", "输出形状", "参数量"]
    types = [row[1] for row in value["data"]]
    assert "NiN块" in types and "全局平均汇聚层" in types and "最大汇聚层" in types
    assert [row[3] for row in value["data"]] == [row[3] for row in english]  # shapes as they are


def test_model_card_in_chinese():
    models = SimpleNamespace(paths={"modern": str(ROOT / "weights" / "nin_modern.weights.h5")}, default="modern")
    english, _, _ = demo.model_card(models, "modern")
    chinese, curves, confusion = demo.model_card(models, "modern", ZH_PAGE)
    assert "Test accuracy" in english and "| T-shirt/top |" in english
    assert "测试准确率" in chinese and "| 类别 | 准确率 |" in chinese and "| T恤/上衣 |" in chinese
    assert "Test accuracy" not in chinese and curves and confusion


def fake_view(source="your drawing"):
    """A View with random outputs of the seed's shapes (no model needed)."""
    from nin.core.architecture import layer_rows

    rng = np.random.default_rng(0)
    rows = layer_rows()
    outputs = {inside.INPUT_STEP: rng.random((1, 224, 224, 1), np.float32)}
    for r in rows:
        outputs[r["layer"]] = rng.random(ast.literal_eval(r["output shape"]), np.float32)
    probs = np.full(10, 0.02)
    probs[1] = 0.82
    return inside.View(rng.random((28, 28), np.float32), source, outputs, inside.layer_rows(), probs, "int8", "LiteRT")


def test_inside_captions_in_chinese_keep_the_layer_names_and_shapes():
    view = fake_view()
    english = [c for _, c in view.pictures()]
    chinese = [c for _, c in view.pictures(i18n.ZH)]
    assert english[0] == "resize (1, 224, 224, 1) · 28×28 → 224×224, bilinear · your drawing"
    assert english[1].startswith("nin_block_1 (1, 54, 54, 96) · 11x11 /4 valid + 2x 1x1 · 16 most active of 96 channels")
    assert english[-1].startswith("softmax (1, 10) · the Guesses (int8): Trouser 82.0%")
    assert len(chinese) == len(english) == 13
    for en, zh in zip(english, chinese):
        assert zh.split(" · ")[0] == en.split(" · ")[0]  # "nin_block_1 (1, 54, 54, 96)": as nin.measure.summary names it
        assert CJK.search(zh), zh
    assert chinese[0].endswith("你的画")
    assert chinese[1].startswith("nin_block_1 (1, 54, 54, 96) · NiN块 ·")
    assert any("全局平均汇聚层" in c for c in chinese) and any("暂退法" in c for c in chinese)
    assert chinese[-1].split(": ", 1)[1].startswith("裤子 82.0%")


def test_chinese_text_has_no_spaces_from_line_breaks():
    """Markdown turns a line break into a space; Chinese puts none between its characters."""
    from nin.app.i18n import UI, join_cjk_lines

    assert "就是\n服装" in UI["pipeline"][1]  # the source breaks the line there
    assert "部分就是服装；" in join_cjk_lines(UI["pipeline"][1])
    assert "与\nFashion-MNIST" in join_cjk_lines(UI["pipeline"][1])  # before Latin text the break (a space) stays
    assert join_cjk_lines("### 网络内部\n对你") == "### 网络内部\n对你"  # a heading ends its line
    assert join_cjk_lines("段落。\n\n下一段") == "段落。\n\n下一段"  # a blank line is a new paragraph
    assert join_cjk_lines("| 层 |\n| 类型 |") == "| 层 |\n| 类型 |"  # table rows stay rows
