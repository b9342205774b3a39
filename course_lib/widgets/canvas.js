// The course's live-plot front end (an anywidget ES module): a picture of the figure's fixed parts (axes, ticks,
// contours), rendered once by matplotlib in the kernel, with the parts that move (paths, curves, markers, titles,
// legends) drawn over it here from their pixel coordinates. A redraw is a few hundred numbers, not a PNG.
//
// Model: width, height (CSS pixels of the figure), background (PNG bytes), scene ({items: [...]}, each item a
// line, text or legend in figure pixels from the top left; a line's points are float32 x, y pairs).
// Messages to the kernel: {type: "connected"} when a view appears, {type: "click", x, y} in figure pixels.

function floats(view) {
  if (!view) return new Float32Array(0);
  const bytes = view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength); // aligned copy
  return new Float32Array(bytes);
}

function marker(ctx, kind, x, y, size) {
  const r = size / 2;
  ctx.beginPath();
  if (kind === "o" || kind === ".") {
    ctx.arc(x, y, kind === "." ? r / 2 : r, 0, 2 * Math.PI);
  } else if (kind === "s") {
    ctx.rect(x - r, y - r, size, size);
  } else if (kind === "+") {
    ctx.moveTo(x - r, y); ctx.lineTo(x + r, y); ctx.moveTo(x, y - r); ctx.lineTo(x, y + r);
    return "stroke";
  } else if (kind === "X") { // a filled x, as matplotlib draws it
    const a = r, b = r / 3;
    const pts = [[-a, -a + b], [-a + b, -a], [0, -b], [a - b, -a], [a, -a + b], [b, 0],
                 [a, a - b], [a - b, a], [0, b], [-a + b, a], [-a, a - b], [-b, 0]];
    pts.forEach(([dx, dy], i) => (i ? ctx.lineTo(x + dx, y + dy) : ctx.moveTo(x + dx, y + dy)));
    ctx.closePath();
  } else if (kind === "*") {
    for (let i = 0; i < 10; i++) {
      const angle = -Math.PI / 2 + (i * Math.PI) / 5, rr = i % 2 ? r * 0.38 : r;
      const px = x + rr * Math.cos(angle), py = y + rr * Math.sin(angle);
      i ? ctx.lineTo(px, py) : ctx.moveTo(px, py);
    }
    ctx.closePath();
  } else {
    ctx.arc(x, y, r, 0, 2 * Math.PI);
  }
  return "fill";
}

function drawLine(ctx, item) {
  const xy = floats(item.xy);
  const n = xy.length / 2;
  if (!n) return;
  ctx.save();
  if (item.clip) {
    const [x0, y0, x1, y1] = item.clip;
    ctx.beginPath();
    ctx.rect(x0, y0, x1 - x0, y1 - y0);
    ctx.clip();
  }
  if (item.lw > 0) {
    ctx.strokeStyle = item.color;
    ctx.lineWidth = item.lw;
    ctx.lineJoin = "round";
    ctx.lineCap = item.dash.length ? "butt" : "round";
    ctx.setLineDash(item.dash);
    ctx.beginPath();
    let open = false;
    for (let i = 0; i < n; i++) {
      const x = xy[2 * i], y = xy[2 * i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) { open = false; continue; } // a gap, as matplotlib leaves
      open ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      open = true;
    }
    ctx.stroke();
    ctx.setLineDash([]);
  }
  if (item.marker) {
    ctx.fillStyle = item.mfc;
    ctx.strokeStyle = item.mec;
    ctx.lineWidth = item.mew;
    for (let i = 0; i < n; i++) {
      const x = xy[2 * i], y = xy[2 * i + 1];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      const how = marker(ctx, item.marker, x, y, item.ms);
      if (how === "stroke") { ctx.strokeStyle = item.mec === "none" ? item.mfc : item.mec; ctx.stroke(); continue; }
      if (item.mfc !== "none") ctx.fill();
      if (item.mec !== "none" && item.mew > 0) ctx.stroke();
    }
  }
  ctx.restore();
}

function font(item) {
  return `${item.weight || "normal"} ${item.size}px "DejaVu Sans", "Bitstream Vera Sans", Arial, sans-serif`;
}

function drawText(ctx, item) {
  ctx.save();
  ctx.font = font(item);
  ctx.fillStyle = item.color;
  ctx.textAlign = item.ha;
  ctx.textBaseline = { top: "top", center: "middle", bottom: "bottom", baseline: "alphabetic" }[item.va] || "alphabetic";
  ctx.translate(item.x, item.y);
  if (item.rotation) ctx.rotate((-item.rotation * Math.PI) / 180);
  ctx.fillText(item.text, 0, 0);
  ctx.restore();
}

function drawLegend(ctx, item) {
  // a box at one corner of the axes, one row per entry: a short line in the entry's style, then its label
  ctx.save();
  ctx.font = font(item);
  const rowHeight = item.size * 1.35, handle = item.size * 2, gap = item.size * 0.6, pad = item.size * 0.45;
  const textWidth = Math.max(0, ...item.entries.map((e) => ctx.measureText(e.label).width));
  const width = pad * 2 + handle + gap + textWidth, height = pad * 2 + rowHeight * item.entries.length;
  const [x0, y0, x1, y1] = item.axes;
  const left = item.loc.includes("right") ? x1 - item.border - width : x0 + item.border;
  const top = item.loc.includes("upper") ? y0 + item.border : y1 - item.border - height;
  ctx.fillStyle = item.face;
  ctx.strokeStyle = item.edge;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.roundRect(left, top, width, height, 3);
  ctx.fill();
  ctx.stroke();
  item.entries.forEach((e, i) => {
    const y = top + pad + rowHeight * (i + 0.5);
    ctx.strokeStyle = e.color;
    ctx.lineWidth = e.lw;
    ctx.setLineDash(e.dash);
    ctx.beginPath();
    ctx.moveTo(left + pad, y);
    ctx.lineTo(left + pad + handle, y);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.fillStyle = item.color;
    ctx.textBaseline = "middle";
    ctx.fillText(e.label, left + pad + handle + gap, y);
  });
  ctx.restore();
}

function render({ model, el }) {
  const canvas = document.createElement("canvas");
  canvas.className = "course-live-canvas";
  canvas.style.display = "block";
  canvas.style.cursor = "crosshair";
  canvas.style.maxWidth = "100%"; // a narrow notebook shrinks the figure, keeping its shape (clicks scale too)
  canvas.style.height = "auto";
  el.appendChild(canvas);
  const ctx = canvas.getContext("2d");
  let background = null;
  let backgroundBytes = null;

  function draw() {
    const width = model.get("width"), height = model.get("height"), ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.style.width = `${width}px`;
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    if (background) {
      ctx.drawImage(background, 0, 0, width, height);
    } else {
      ctx.fillStyle = "white";
      ctx.fillRect(0, 0, width, height);
    }
    for (const item of (model.get("scene") || {}).items || []) {
      if (item.kind === "line") drawLine(ctx, item);
      else if (item.kind === "text") drawText(ctx, item);
      else if (item.kind === "legend") drawLegend(ctx, item);
    }
  }

  function loadBackground() {
    const bytes = model.get("background");
    if (!bytes || !bytes.byteLength || bytes === backgroundBytes) return;
    backgroundBytes = bytes;
    const blob = new Blob([bytes], { type: "image/png" });
    createImageBitmap(blob).then((bitmap) => {
      if (backgroundBytes !== bytes) return; // a newer background arrived meanwhile
      background = bitmap;
      draw();
    });
  }

  canvas.addEventListener("click", (event) => {
    const box = canvas.getBoundingClientRect();
    const x = ((event.clientX - box.left) * model.get("width")) / box.width;
    const y = ((event.clientY - box.top) * model.get("height")) / box.height;
    model.send({ type: "click", x, y });
  });
  const redraw = () => draw();
  model.on("change:scene", redraw);
  model.on("change:width", redraw);
  model.on("change:height", redraw);
  model.on("change:background", loadBackground);
  loadBackground();
  draw();
  model.send({ type: "connected" });
  return () => {
    model.off("change:scene", redraw);
    model.off("change:width", redraw);
    model.off("change:height", redraw);
    model.off("change:background", loadBackground);
  };
}

export default { render };
