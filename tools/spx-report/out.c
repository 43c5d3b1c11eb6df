/* out.c - spx-report's outputs: text tables, CSV, one HTML page. */
#include "report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- figures --------------------------------------------------------------- */

typedef enum { M_NUM, M_TEXT } mkind_t;

/* Per-layer figures, in the order every output shows them. */
typedef struct metric {
  const char *id, *title;
  mkind_t kind;
} metric_t;

static const metric_t layer_metrics[] = {
    {"weight_bytes", "weight bytes", M_NUM},
    {"bits_per_weight", "bits per weight", M_NUM},
    {"sparsity", "sparsity (scheme)", M_TEXT},
    {"cycles", "cycles", M_NUM},
    {"utilization", "utilization", M_NUM},
    {"bound", "bound", M_TEXT},
    {"time_us", "wall time per inference (us)", M_NUM},
    {"sqnr_db", "SQNR vs float (dB)", M_NUM},
    {"max_abs_error", "max abs error vs float", M_NUM},
};
#define N_LAYER_METRICS (int)(sizeof layer_metrics / sizeof layer_metrics[0])

/* Totals, in order. */
static const metric_t total_metrics[] = {
    {"params", "weights (params)", M_NUM},
    {"weight_bytes", "weight bytes", M_NUM},
    {"bits_per_weight", "bits per weight", M_NUM},
    {"compression_f32", "compression vs f32", M_NUM},
    {"compression", "compression vs baseline", M_NUM},
    {"cycles", "cycles", M_NUM},
    {"speedup", "speedup vs baseline", M_NUM},
    {"time_us", "wall time per inference (us)", M_NUM},
    {"utilization", "utilization", M_NUM},
    {"bound", "bound", M_TEXT},
    {"accuracy", "accuracy", M_NUM},
};
#define N_TOTAL_METRICS (int)(sizeof total_metrics / sizeof total_metrics[0])

void spx_report_fmt(char *buf, size_t size, const char *m, opt_t v) {
  if (!v.has) {
    buf[0] = 0;
    return;
  }
  if (!strcmp(m, "weight_bytes") || !strcmp(m, "cycles") || !strcmp(m, "params") ||
      !strcmp(m, "macs"))
    snprintf(buf, size, "%.0f", v.v);
  else if (!strcmp(m, "bits_per_weight") || !strcmp(m, "sqnr_db"))
    snprintf(buf, size, "%.2f", v.v);
  else if (!strcmp(m, "utilization"))
    snprintf(buf, size, "%.1f%%", 100.0 * v.v);
  else if (!strcmp(m, "time_us"))
    snprintf(buf, size, "%.3f", v.v);
  else if (!strcmp(m, "speedup") || !strcmp(m, "compression") || !strcmp(m, "compression_f32"))
    snprintf(buf, size, "%.2fx", v.v);
  else if (!strcmp(m, "accuracy"))
    snprintf(buf, size, "%.4f", v.v);
  else
    snprintf(buf, size, "%.4g", v.v);
}

static opt_t cell_num(const cell_t *c, const char *m) {
  opt_t none = {0, 0};
  if (!c->present) return none;
  if (!strcmp(m, "weight_bytes")) return c->weight_bytes;
  if (!strcmp(m, "bits_per_weight")) return c->bits_per_weight;
  if (!strcmp(m, "cycles")) return c->cycles;
  if (!strcmp(m, "utilization")) return c->utilization;
  if (!strcmp(m, "time_us")) return c->time_us;
  if (!strcmp(m, "sqnr_db")) return c->sqnr_db;
  if (!strcmp(m, "max_abs_error")) return c->max_abs_error;
  if (!strcmp(m, "macs")) return c->macs;
  if (!strcmp(m, "params")) return c->params;
  return none;
}

static opt_t total_num(const column_t *c, const char *m) {
  opt_t none = {0, 0};
  if (!strcmp(m, "params")) return c->params;
  if (!strcmp(m, "weight_bytes")) return c->weight_bytes;
  if (!strcmp(m, "bits_per_weight")) return c->bits_per_weight;
  if (!strcmp(m, "compression_f32")) return c->compression_f32;
  if (!strcmp(m, "compression")) return c->compression;
  if (!strcmp(m, "cycles")) return c->cycles;
  if (!strcmp(m, "speedup")) return c->speedup;
  if (!strcmp(m, "time_us")) return c->time_us;
  if (!strcmp(m, "utilization")) return c->utilization;
  if (!strcmp(m, "accuracy")) return c->accuracy;
  return none;
}

/* The text of a layer's cell as every output shows it ("" if none). */
static void cell_text(char *buf, size_t size, const cell_t *c, const metric_t *m) {
  buf[0] = 0;
  if (!c->present) return;
  if (!strcmp(m->id, "sparsity")) snprintf(buf, size, "%s", c->sparsity);
  else if (!strcmp(m->id, "bound")) snprintf(buf, size, "%s", c->bound ? c->bound : "");
  else spx_report_fmt(buf, size, m->id, cell_num(c, m->id));
}

/* A layer table's total: the column's total of the figure, if it has one. */
static void layer_total_text(char *buf, size_t size, const column_t *c, const metric_t *m) {
  buf[0] = 0;
  if (!strcmp(m->id, "sparsity") || !strcmp(m->id, "sqnr_db") ||
      !strcmp(m->id, "max_abs_error"))
    return;
  if (!strcmp(m->id, "bound")) {
    if (c->bound && c->bound_share.has)
      snprintf(buf, size, "%s %.0f%%", c->bound, 100.0 * c->bound_share.v);
    return;
  }
  spx_report_fmt(buf, size, m->id, total_num(c, m->id));
}

static void total_text(char *buf, size_t size, const column_t *c, const metric_t *m) {
  if (!strcmp(m->id, "bound")) {
    layer_total_text(buf, size, c, m);
    return;
  }
  spx_report_fmt(buf, size, m->id, total_num(c, m->id));
  if (!strcmp(m->id, "speedup") && c->speedup_wall && buf[0])
    snprintf(buf + strlen(buf), size - strlen(buf), " (wall)");
}

/* Whether any column has the figure for any layer. */
static int metric_used(const report_t *r, const metric_t *m) {
  int i, k;
  char buf[128];
  for (i = 0; i < r->n_cols; ++i)
    for (k = 0; k < r->n_layers; ++k) {
      cell_text(buf, sizeof buf, &r->cols[i].cells[k], m);
      if (buf[0]) return 1;
    }
  return 0;
}

static int total_used(const report_t *r, const metric_t *m) {
  int i;
  char buf[128];
  for (i = 0; i < r->n_cols; ++i) {
    total_text(buf, sizeof buf, &r->cols[i], m);
    if (buf[0]) return 1;
  }
  return 0;
}

/* The op of a layer: from the first column that has it. */
static const char *layer_op(const report_t *r, int k) {
  int i;
  for (i = 0; i < r->n_cols; ++i)
    if (r->cols[i].cells[k].present && r->cols[i].cells[k].op) return r->cols[i].cells[k].op;
  return "";
}

static const char *network(const report_t *r) {
  int i;
  for (i = 0; i < r->n_cols; ++i)
    if (r->cols[i].network) return r->cols[i].network;
  return NULL;
}

static void title(char *buf, size_t size, const report_t *r) {
  const char *n = network(r);
  if (r->title) snprintf(buf, size, "%s", r->title);
  else snprintf(buf, size, "SPX report: %s", n ? n : "run");
}

/* ---- text ------------------------------------------------------------------ */

static int width_of(const char *s) {
  /* display width: count UTF-8 lead bytes */
  int w = 0;
  for (; *s; ++s)
    if (((unsigned char)*s & 0xc0) != 0x80) w++;
  return w;
}

static void pad(FILE *f, const char *s, int w, int right) {
  int n = w - width_of(s);
  if (right)
    while (n-- > 0) fputc(' ', f);
  fputs(s, f);
  if (!right)
    while (n-- > 0) fputc(' ', f);
}

int spx_report_text(FILE *f, void *user) {
  const report_t *r = user;
  int i, k, m, name_w = 14;
  int *w = calloc((size_t)r->n_cols + 1, sizeof *w);
  char buf[160];
  if (!w) return -1;
  /* widths: the longest label or value of the column */
  for (k = 0; k < r->n_layers; ++k)
    if (width_of(r->layers[k]) + 2 > name_w) name_w = width_of(r->layers[k]) + 2;
  for (m = 0; m < N_TOTAL_METRICS; ++m)
    if (width_of(total_metrics[m].title) + 2 > name_w)
      name_w = width_of(total_metrics[m].title) + 2;
  for (i = 0; i < r->n_cols; ++i) {
    const column_t *c = &r->cols[i];
    w[i] = width_of(c->label);
    for (m = 0; m < N_LAYER_METRICS; ++m)
      for (k = 0; k <= r->n_layers; ++k) {
        if (k < r->n_layers) cell_text(buf, sizeof buf, &c->cells[k], &layer_metrics[m]);
        else layer_total_text(buf, sizeof buf, c, &layer_metrics[m]);
        if (width_of(buf) > w[i]) w[i] = width_of(buf);
      }
    for (m = 0; m < N_TOTAL_METRICS; ++m) {
      total_text(buf, sizeof buf, c, &total_metrics[m]);
      if (width_of(buf) > w[i]) w[i] = width_of(buf);
    }
  }
  title(buf, sizeof buf, r);
  fprintf(f, "%s\n\ncolumns:\n", buf);
  for (i = 0; i < r->n_cols; ++i) {
    const column_t *c = &r->cols[i];
    fprintf(f, "  [%d] %s:", i + 1, c->label);
    if (c->compile_path) fprintf(f, " %s", c->compile_path);
    if (c->run_path) fprintf(f, "%s %s", c->compile_path ? " +" : "", c->run_path);
    if (c->device) fprintf(f, " (%s", c->device);
    if (c->device && c->samples.has) fprintf(f, ", %.0f samples", c->samples.v);
    if (c->device) fputc(')', f);
    if (i == r->baseline) fputs(" (baseline)", f);
    fputc('\n', f);
  }
  /* totals */
  fputc('\n', f);
  pad(f, "totals", name_w, 0);
  for (i = 0; i < r->n_cols; ++i) {
    fputs("  ", f);
    pad(f, r->cols[i].label, w[i], 1);
  }
  fputc('\n', f);
  for (m = 0; m < N_TOTAL_METRICS; ++m) {
    if (!total_used(r, &total_metrics[m])) continue;
    fputs("  ", f);
    pad(f, total_metrics[m].title, name_w - 2, 0);
    for (i = 0; i < r->n_cols; ++i) {
      total_text(buf, sizeof buf, &r->cols[i], &total_metrics[m]);
      fputs("  ", f);
      pad(f, buf[0] ? buf : "-", w[i], 1);
    }
    fputc('\n', f);
  }
  /* one table per figure */
  for (m = 0; m < N_LAYER_METRICS; ++m) {
    const metric_t *mt = &layer_metrics[m];
    if (!metric_used(r, mt)) continue;
    fputc('\n', f);
    pad(f, mt->title, name_w, 0);
    for (i = 0; i < r->n_cols; ++i) {
      fputs("  ", f);
      pad(f, r->cols[i].label, w[i], 1);
    }
    fputc('\n', f);
    for (k = 0; k <= r->n_layers; ++k) {
      fputs("  ", f);
      pad(f, k < r->n_layers ? r->layers[k] : "total", name_w - 2, 0);
      for (i = 0; i < r->n_cols; ++i) {
        if (k < r->n_layers) cell_text(buf, sizeof buf, &r->cols[i].cells[k], mt);
        else layer_total_text(buf, sizeof buf, &r->cols[i], mt);
        fputs("  ", f);
        pad(f, buf[0] ? buf : "-", w[i], 1);
      }
      fputc('\n', f);
    }
  }
  free(w);
  return ferror(f) ? -1 : 0;
}

/* ---- csv ------------------------------------------------------------------- */

static void csv_str(FILE *f, const char *s) {
  fputc(',', f);
  if (!s) return;
  if (strpbrk(s, ",\"\n\r")) {
    fputc('"', f);
    for (; *s; ++s) {
      if (*s == '"') fputc('"', f);
      fputc(*s, f);
    }
    fputc('"', f);
  } else {
    fputs(s, f);
  }
}

static void csv_num(FILE *f, opt_t v) {
  fputc(',', f);
  if (v.has) fprintf(f, "%.10g", v.v);
}

int spx_report_csv(FILE *f, void *user) {
  const report_t *r = user;
  int i, k;
  fputs("kind,column,label,layer,op,macs,params,weight_bytes,bits_per_weight,technique,"
        "sparsity,density,bit_sparsity,zero_fraction,flipped_columns,weight_sqnr_db,cycles,"
        "utilization,bound,time_us,sqnr_db,max_abs_error,compression_f32,compression,speedup,"
        "accuracy\n",
        f);
  for (i = 0; i < r->n_cols; ++i) {
    const column_t *col = &r->cols[i];
    for (k = 0; k < r->n_layers; ++k) {
      const cell_t *c = &col->cells[k];
      opt_t none = {0, 0};
      if (!c->present) continue;
      fprintf(f, "layer,%d", i + 1);
      csv_str(f, col->label);
      csv_str(f, r->layers[k]);
      csv_str(f, c->op);
      csv_num(f, c->macs);
      csv_num(f, c->params);
      csv_num(f, c->weight_bytes);
      csv_num(f, c->bits_per_weight);
      csv_str(f, c->technique);
      csv_str(f, c->sparsity);
      csv_num(f, c->density);
      csv_num(f, c->bit_sparsity);
      csv_num(f, c->zero_fraction);
      csv_num(f, c->flipped_columns);
      csv_num(f, c->weight_sqnr_db);
      csv_num(f, c->cycles);
      csv_num(f, c->utilization);
      csv_str(f, c->bound);
      csv_num(f, c->time_us);
      csv_num(f, c->sqnr_db);
      csv_num(f, c->max_abs_error);
      csv_num(f, none);
      csv_num(f, none);
      csv_num(f, none);
      csv_num(f, none);
      fputc('\n', f);
    }
  }
  for (i = 0; i < r->n_cols; ++i) {
    const column_t *col = &r->cols[i];
    opt_t none = {0, 0};
    fprintf(f, "total,%d", i + 1);
    csv_str(f, col->label);
    csv_str(f, "");
    csv_str(f, "");
    csv_num(f, col->macs);
    csv_num(f, col->params);
    csv_num(f, col->weight_bytes);
    csv_num(f, col->bits_per_weight);
    csv_str(f, "");
    csv_str(f, "");
    for (k = 0; k < 5; ++k) csv_num(f, none);
    csv_num(f, col->cycles);
    csv_num(f, col->utilization);
    csv_str(f, col->bound);
    csv_num(f, col->time_us);
    csv_num(f, none);
    csv_num(f, none);
    csv_num(f, col->compression_f32);
    csv_num(f, col->compression);
    csv_num(f, col->speedup);
    csv_num(f, col->accuracy);
    fputc('\n', f);
  }
  return ferror(f) ? -1 : 0;
}

/* ---- html ------------------------------------------------------------------ */

static void html(FILE *f, const char *s) {
  for (; s && *s; ++s) {
    switch (*s) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '"': fputs("&quot;", f); break;
    case '\'': fputs("&#39;", f); break;
    default: fputc(*s, f);
    }
  }
}

/* A JSON string safe inside <script>: no '<', '>' or '&' as such. */
static void js_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; s && *s; ++s) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
    else if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&') fprintf(f, "\\u%04x", ch);
    else fputc(ch, f);
  }
  fputc('"', f);
}

static void js_num(FILE *f, opt_t v) {
  if (v.has) fprintf(f, "%.10g", v.v);
  else fputs("null", f);
}

static const char css[] =
    "body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;"
    "color:#1d232a;background:#fff}"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px "
    "solid #d8dde3}h3{font-size:14px;margin:18px 0 6px}"
    "table{border-collapse:collapse;margin:4px 0 8px}"
    "th,td{padding:3px 10px;border-bottom:1px solid #e6e9ed;white-space:nowrap}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "th{background:#f3f5f7;text-align:right}th.l,td.l{text-align:left}"
    "tr.total td{font-weight:600;border-top:2px solid #c4cad1}"
    "th.base{background:#e4ecf7}td.best{background:#e5f4e7}"
    ".sw{display:inline-block;width:10px;height:10px;margin-right:6px;border-radius:2px}"
    "#status{font-size:12px;color:#6b7580}"
    "#charts{display:flex;flex-wrap:wrap;gap:8px 32px;align-items:flex-start}"
    ".chart{margin:6px 0 12px}.chart text{font-size:11px;fill:#1d232a}"
    ".note{color:#6b7580;font-size:12px}";

/* The page's script: bar charts from the data block; #status "ok" when done,
 * "error: ..." on any error. */
static const char script[] =
    "(function(){\n"
    "'use strict';\n"
    "var st=document.getElementById('status');\n"
    "window.addEventListener('error',function(e){st.textContent='error: '+e.message;"
    "st.setAttribute('data-status','error');});\n"
    "var D=JSON.parse(document.getElementById('data').textContent);\n"
    "var NS='http://www.w3.org/2000/svg';\n"
    "var PAL=['#4e79a7','#f28e2b','#59a14f','#e15759','#76b7b2','#edc948','#b07aa1',"
    "'#ff9da7','#9c755f','#bab0ac'];\n"
    "function el(n,a,p){var e=document.createElementNS(NS,n);for(var k in a)"
    "e.setAttribute(k,a[k]);if(p)p.appendChild(e);return e;}\n"
    "function txt(p,x,y,s,a){var t=el('text',Object.assign({x:x,y:y},a||{}),p);"
    "t.textContent=s;return t;}\n"
    "function fmt(v,u){if(u==='x')return v.toFixed(2)+u;return (Math.abs(v)>=100||"
    "v===Math.round(v)?String(Math.round(v)):v.toPrecision(3))+(u||'');}\n"
    "function swatches(box){D.columns.forEach(function(c,i){var s=document.createElement("
    "'span');s.className='sw';s.style.background=PAL[i%PAL.length];box.appendChild(s);"
    "box.appendChild(document.createTextNode('['+(i+1)+'] '+c.label+'   '));});}\n"
    /* one grouped bar chart of a per-layer figure */
    "function layerChart(id,title){var M=D.layer[id];if(!M)return;var rows=[];"
    "D.layers.forEach(function(n,k){var any=false;M.forEach(function(col){if(col[k]!==null"
    "&&col[k]>0)any=true;});if(any)rows.push(k);});if(!rows.length)return;"
    "var nc=D.columns.length,bw=Math.max(3,Math.min(18,Math.floor(110/nc))),gw=nc*bw+16,"
    "W=Math.max(420,60+rows.length*gw),H=250,top=24,bot=60,left=56;"
    "var max=0;rows.forEach(function(k){M.forEach(function(col){if(col[k]!==null&&col[k]>max)"
    "max=col[k];});});"
    "var wrap=document.createElement('div');wrap.className='chart';"
    "document.getElementById('charts').appendChild(wrap);"
    "var svg=el('svg',{width:W,height:H,'data-chart':id,role:'img'},wrap);"
    "txt(svg,left,14,title+' per layer',{'font-weight':'600'});"
    "var ph=H-top-bot;el('line',{x1:left,y1:top+ph,x2:W-4,y2:top+ph,stroke:'#888'},svg);"
    "for(var t=0;t<=4;t++){var v=max*t/4,y=top+ph-ph*t/4;el('line',{x1:left-3,y1:y,x2:W-4,"
    "y2:y,stroke:'#eee'},svg);txt(svg,left-6,y+4,fmt(v),{'text-anchor':'end'});}"
    "rows.forEach(function(k,g){var x0=left+8+g*gw;M.forEach(function(col,i){var v=col[k];"
    "if(v===null)return;var h=max>0?ph*v/max:0;var r=el('rect',{x:x0+i*bw,y:top+ph-h,"
    "width:bw-1,height:h,fill:PAL[i%PAL.length],'data-col':i+1,'data-layer':D.layers[k],"
    "'data-value':v},svg);var tt=el('title',{},r);tt.textContent=D.columns[i].label+', '+"
    "D.layers[k]+': '+fmt(v);});"
    "txt(svg,x0+nc*bw/2,top+ph+14,D.layers[k],{'text-anchor':'middle'});});}\n"
    /* horizontal bars of a total */
    "function totalChart(id,title,unit){var V=D.columns.map(function(c){return c.totals[id];});"
    "if(V.every(function(v){return v===null;}))return;var max=0;V.forEach(function(v){"
    "if(v!==null&&v>max)max=v;});var n=V.length,H=30+n*22,W=560,left=180;"
    "var wrap=document.createElement('div');wrap.className='chart';"
    "document.getElementById('charts').appendChild(wrap);"
    "var svg=el('svg',{width:W,height:H,'data-chart':'total_'+id,role:'img'},wrap);"
    "txt(svg,0,14,title,{'font-weight':'600'});"
    "V.forEach(function(v,i){var y=24+i*22;txt(svg,left-8,y+13,'['+(i+1)+'] '+"
    "D.columns[i].label,{'text-anchor':'end'});if(v===null){txt(svg,left,y+13,'-');return;}"
    "var w=max>0?(W-left-90)*v/max:0;el('rect',{x:left,y:y,width:w,height:16,"
    "fill:PAL[i%PAL.length],'data-col':i+1,'data-value':v},svg);"
    "txt(svg,left+w+6,y+13,fmt(v,unit));});}\n"
    "swatches(document.getElementById('legend'));\n"
    "totalChart('weight_bytes','weight bytes','');\n"
    "totalChart('cycles','cycles per inference','');\n"
    "totalChart('speedup','speedup vs baseline','x');\n"
    "totalChart('compression','compression vs baseline','x');\n"
    "layerChart('weight_bytes','weight bytes');\n"
    "layerChart('cycles','cycles');\n"
    "layerChart('bits_per_weight','bits per weight');\n"
    "document.title=document.title+' \\u2014 ok';\n"
    "if(st.getAttribute('data-status')!=='error'){st.textContent='ok';"
    "st.setAttribute('data-status','ok');}\n"
    "})();\n";

static void html_header_row(FILE *f, const report_t *r, const char *first) {
  int i;
  fprintf(f, "<tr><th class=\"l\">%s</th>", first);
  for (i = 0; i < r->n_cols; ++i) {
    fprintf(f, "<th%s data-col=\"%d\"><span class=\"sw\" data-sw=\"%d\"></span>[%d] ",
            i == r->baseline ? " class=\"base\"" : "", i + 1, i % 10, i + 1);
    html(f, r->cols[i].label);
    fputs("</th>", f);
  }
  fputs("</tr>\n", f);
}

int spx_report_html(FILE *f, void *user) {
  const report_t *r = user;
  char t[256], buf[160];
  int i, k, m;
  static const char *pal[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2",
                              "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  title(t, sizeof t, r);
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", f);
  html(f, t);
  fprintf(f, "</title>\n<style>%s", css);
  for (i = 0; i < 10; ++i) fprintf(f, "[data-sw=\"%d\"]{background:%s}", i, pal[i]);
  fputs("</style>\n</head>\n<body>\n<h1>", f);
  html(f, t);
  fputs("</h1>\n<p id=\"status\" data-status=\"building\">building (needs JavaScript for the "
        "charts)</p>\n",
        f);
  /* columns */
  fputs("<h2>Columns</h2>\n<table id=\"columns\">\n<tr><th class=\"l\">column</th><th "
        "class=\"l\">compile report</th><th class=\"l\">run report</th><th "
        "class=\"l\">network</th><th class=\"l\">target</th><th class=\"l\">device</th><th "
        "class=\"l\">samples</th></tr>\n",
        f);
  for (i = 0; i < r->n_cols; ++i) {
    const column_t *c = &r->cols[i];
    fprintf(f, "<tr data-col=\"%d\"><td class=\"l\"><span class=\"sw\" data-sw=\"%d\"></span>[%d] ",
            i + 1, i % 10, i + 1);
    html(f, c->label);
    if (i == r->baseline) fputs(" <b>(baseline)</b>", f);
    fputs("</td><td class=\"l\">", f);
    html(f, c->compile_path);
    fputs("</td><td class=\"l\">", f);
    html(f, c->run_path);
    fputs("</td><td class=\"l\">", f);
    html(f, c->network);
    fputs("</td><td class=\"l\">", f);
    html(f, c->target);
    fputs("</td><td class=\"l\">", f);
    html(f, c->device);
    fputs("</td><td class=\"n\">", f);
    if (c->samples.has) fprintf(f, "%.0f", c->samples.v);
    fputs("</td></tr>\n", f);
  }
  fputs("</table>\n", f);
  /* totals */
  fputs("<h2>Totals</h2>\n<table id=\"totals\">\n", f);
  html_header_row(f, r, "");
  for (m = 0; m < N_TOTAL_METRICS; ++m) {
    const metric_t *mt = &total_metrics[m];
    if (!total_used(r, mt)) continue;
    fprintf(f, "<tr data-metric=\"%s\"><th class=\"l\">%s</th>", mt->id, mt->title);
    for (i = 0; i < r->n_cols; ++i) {
      total_text(buf, sizeof buf, &r->cols[i], mt);
      fprintf(f, "<td class=\"n\" data-col=\"%d\">", i + 1);
      html(f, buf);
      fputs("</td>", f);
    }
    fputs("</tr>\n", f);
  }
  fputs("</table>\n<p class=\"note\">Speedup: the baseline's cycles over the column's (both "
        "from simulator runs); marked (wall) when both ran on the cpu device and it is their "
        "wall time. Compression vs baseline: the baseline's weight bytes over the column's. "
        "Utilization and bound of a whole run are weighted by cycles.</p>\n",
        f);
  fputs("<h2>Charts</h2>\n<div id=\"legend\" class=\"note\"></div>\n<div id=\"charts\"></div>\n",
        f);
  /* per layer */
  fputs("<h2>Per layer</h2>\n", f);
  for (m = 0; m < N_LAYER_METRICS; ++m) {
    const metric_t *mt = &layer_metrics[m];
    if (!metric_used(r, mt)) continue;
    fprintf(f, "<h3>%s</h3>\n<table class=\"layers\" data-metric=\"%s\">\n", mt->title, mt->id);
    html_header_row(f, r, "layer");
    for (k = 0; k <= r->n_layers; ++k) {
      if (k < r->n_layers) {
        fputs("<tr data-layer=\"", f);
        html(f, r->layers[k]);
        fputs("\"><th class=\"l\">", f);
        html(f, r->layers[k]);
        fputs(" <span class=\"note\">", f);
        html(f, layer_op(r, k));
        fputs("</span></th>", f);
      } else {
        fputs("<tr class=\"total\" data-layer=\"\"><th class=\"l\">total</th>", f);
      }
      for (i = 0; i < r->n_cols; ++i) {
        if (k < r->n_layers) cell_text(buf, sizeof buf, &r->cols[i].cells[k], mt);
        else layer_total_text(buf, sizeof buf, &r->cols[i], mt);
        fprintf(f, "<td class=\"%s\" data-col=\"%d\">", mt->kind == M_NUM ? "n" : "l", i + 1);
        html(f, buf);
        fputs("</td>", f);
      }
      fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
  }
  /* the data the charts are drawn from */
  fputs("<script type=\"application/json\" id=\"data\">{\"columns\":[", f);
  for (i = 0; i < r->n_cols; ++i) {
    const column_t *c = &r->cols[i];
    fputs(i ? ",{\"label\":" : "{\"label\":", f);
    js_str(f, c->label);
    fprintf(f, ",\"baseline\":%s,\"totals\":{", i == r->baseline ? "true" : "false");
    for (m = 0; m < N_TOTAL_METRICS; ++m) {
      if (total_metrics[m].kind != M_NUM) continue;
      fprintf(f, "%s\"%s\":", m ? "," : "", total_metrics[m].id);
      js_num(f, total_num(c, total_metrics[m].id));
    }
    fputs("}}", f);
  }
  fputs("],\"layers\":[", f);
  for (k = 0; k < r->n_layers; ++k) {
    if (k) fputc(',', f);
    js_str(f, r->layers[k]);
  }
  fputs("],\"layer\":{", f);
  for (m = 0; m < N_LAYER_METRICS; ++m) {
    const metric_t *mt = &layer_metrics[m];
    if (mt->kind != M_NUM) continue;
    fprintf(f, "%s\"%s\":[", m ? "," : "", mt->id);
    for (i = 0; i < r->n_cols; ++i) {
      fputs(i ? ",[" : "[", f);
      for (k = 0; k < r->n_layers; ++k) {
        if (k) fputc(',', f);
        js_num(f, cell_num(&r->cols[i].cells[k], mt->id));
      }
      fputc(']', f);
    }
    fputc(']', f);
  }
  fputs("}}</script>\n<script>\n", f);
  fputs(script, f);
  fputs("</script>\n</body>\n</html>\n", f);
  return ferror(f) ? -1 : 0;
}
