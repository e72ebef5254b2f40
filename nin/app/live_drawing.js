() => {
  // The Draw tab's live answer (docs/app.md, "The live Draw tab"). Gradio's Sketchpad sends its value
  // only after exporting its layers (about a second here), so this script keeps its own copy of the
  // brush strokes, as the person draws them, and after every stroke puts them, as a 400x400 PNG,
  // into the hidden #sketch-live textbox; its input event runs the same pipeline on the server.
  // Anything it cannot copy (eraser, brush size, pan) hands the answer back to the Sketchpad's own
  // change event ("sketchpad": nin/serve/serving.py LIVE_OFF), until the canvas is cleared; a cleared
  // canvas sends "" (no answer).
  const SIDE = 400, BRUSH = 6;  // app.py's canvas_size and brush default_size (a radius: lines 12 px wide)
  const root = () => document.querySelector('#sketch');
  const box = () => document.querySelector('#sketch-live textarea, #sketch-live input');
  let strokes = [], undone = [], current = null, copying = true;

  const send = (text) => {
    const el = box();
    if (!el) return;
    el.value = text;
    el.dispatchEvent(new Event('input', {bubbles: true}));
  };
  const png = () => {
    const c = document.createElement('canvas');
    c.width = c.height = SIDE;
    const g = c.getContext('2d');
    g.strokeStyle = g.fillStyle = '#000';
    g.lineWidth = 2 * BRUSH; g.lineCap = g.lineJoin = 'round';
    for (const s of strokes) {
      g.beginPath();
      g.moveTo(s[0][0], s[0][1]);
      if (s.length === 1) g.lineTo(s[0][0] + 0.01, s[0][1]);  // a tap: a dot
      for (const [x, y] of s.slice(1)) g.lineTo(x, y);
      g.stroke();
    }
    return c.toDataURL('image/png');
  };
  const answer = () => { if (copying) send(strokes.length ? png() : ''); };
  const stopCopying = () => { if (copying) { copying = false; current = null; send('sketchpad'); } };

  // Page pixels -> canvas pixels: the editor shows the 400x400 canvas centred, at its zoom ("72%").
  const zoom = () => {
    for (const el of root().querySelectorAll('span')) {
      const m = /^(\d+)%$/.exec(el.textContent.trim());
      if (m && el.children.length === 0) return Number(m[1]) / 100;
    }
    return null;
  };
  const toCanvas = (e, view, z) => {
    const r = view.getBoundingClientRect();
    const x = (e.clientX - (r.left + r.width / 2)) / z + SIDE / 2;
    const y = (e.clientY - (r.top + r.height / 2)) / z + SIDE / 2;
    return [Math.min(Math.max(x, 0), SIDE), Math.min(Math.max(y, 0), SIDE)];
  };
  const brushOn = () => !!root().querySelector('button[aria-label="Brush"].highlight');

  const attach = (tries) => {
    const sketch = root();
    if (!sketch || !box()) { if (tries > 0) setTimeout(() => attach(tries - 1), 100); return; }
    sketch.addEventListener('pointerdown', (e) => {
      const view = e.target.closest && e.target.closest('canvas');
      if (!copying || !view || e.button !== 0) return;
      const z = zoom();
      if (!brushOn() || !z) { stopCopying(); return; }  // another tool: the Sketchpad answers
      current = {view, z, points: [toCanvas(e, view, z)]};
    }, true);
    document.addEventListener('pointermove', (e) => {
      if (current) current.points.push(toCanvas(e, current.view, current.z));
    }, true);
    const end = () => {
      if (!current) return;
      strokes.push(current.points); undone = []; current = null;
      answer();
    };
    document.addEventListener('pointerup', end, true);
    document.addEventListener('pointercancel', end, true);
    sketch.addEventListener('wheel', () => stopCopying(), {capture: true, passive: true});  // zoomed by wheel
    sketch.addEventListener('click', (e) => {
      const b = e.target.closest && e.target.closest('button');
      const name = b && b.getAttribute('aria-label');
      if (!name) return;
      if (name === 'Clear canvas') { strokes = []; undone = []; copying = true; send(''); }
      else if (name === 'Undo') { if (strokes.length) undone.push(strokes.pop()); answer(); }
      else if (name === 'Redo') { if (undone.length) strokes.push(undone.pop()); answer(); }
      else if (name !== 'Brush' && name !== 'Zoom in' && name !== 'Zoom out') stopCopying();
    }, true);
  };
  attach(100);
}
