/* spx-run: run a compiled model (.spxbin) on a device, over a batch of
 * samples from .npy files.
 *
 *   spx-run FILE.spxbin --input X.npy... [--output Y.npy...] [--labels L.npy]
 *           [--report FILE.json] [--device=cpu|sim]
 *           [--dump-activations DIR [--dump-samples N]] [--compare-f32 F.spxbin]
 *
 * One --input per model input, in the model's input order: X is float32
 * [N, ...] whose per-sample element count equals the model input's (the
 * model input is [1, ...]), N the same for every input; every sample runs
 * separately. --output, none or one per model output in the model's output
 * order, writes float32 [N, ...] (the output's dims without a leading 1);
 * --labels (int32 or int8 [N]) prints "accuracy: 0.9722 (350/360)" from the
 * argmax of output 0 (and --report has it); --report writes per-layer run statistics as
 * JSON (wall time measured here, with clock_gettime; timings belong in this
 * report only). The output files are written all or nothing (under
 * temporary names, renamed into place together at the end; an interrupted
 * run removes them). FILE.spxbin '-' is standard input; an output file '-'
 * is standard output. Errors: "spx-run: FILE: error: <message>", exit
 * status 1; usage errors exit 2. */
#define _GNU_SOURCE /* getopt_long */

#include "runtime/device/spx_device.h"
#include "support/spx_support.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sys/stat.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *prog = "spx-run";
/* Where the accuracy, cycles and --compare-f32 table go: stdout, or stderr
 * when stdout holds an output file ('-'). */
static FILE *info_out;

#define error(...) spx_file_error(prog, __VA_ARGS__)

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "%s: error: ", prog);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nusage: %s FILE.spxbin --input X.npy... [--output Y.npy...] "
                  "[--labels L.npy] [--report FILE.json] [--device=cpu|sim]\n"
                  "       [--trace FILE.json] [--threads=N] [--datapath] [--no-prepare]\n"
                  "       [--dump-activations DIR [--dump-samples N]] [--compare-f32 F32.spxbin]\n"
                  "(try '%s --help')\n", prog, prog);
  return 2; /* usage errors: 2, errors in the inputs: 1 */
}

static void help(void) {
  printf("usage: %s FILE.spxbin --input X.npy... [--output Y.npy...] [--labels L.npy]\n"
         "               [--report FILE.json] [--device=cpu|sim] [--trace FILE.json]\n"
         "               [--threads=N] [--datapath] [--no-prepare]\n"
         "               [--dump-activations DIR [--dump-samples N]]\n"
         "               [--compare-f32 F32.spxbin]\n"
         "Runs a compiled model on a device over samples. A simulator\n"
         "also prints the cycles it counted for one inference. FILE.spxbin '-'\n"
         "reads the model from standard input.\n"
         "  --input X.npy      float32 [N, ...]: N samples, each with as many\n"
         "                     elements as the model input [1, ...]; a model with\n"
         "                     several inputs takes one --input per input, in the\n"
         "                     model's input order, all with the same N\n"
         "  --output Y.npy     write the outputs, float32 [N, ...]; a model with\n"
         "                     several outputs takes one --output per output, in\n"
         "                     the model's output order (or none)\n"
         "  --labels L.npy     int32 or int8 [N]: print the accuracy of the\n"
         "                     argmax of the output (output 0 of several); --report\n"
         "                     gets it as \"accuracy\" and \"correct\"\n"
         "  --report FILE.json per-layer run statistics (calls, wall time; on a\n"
         "                     simulator its cycles, compute and memory cycles,\n"
         "                     bound and PE-row or tile utilisation, and its own\n"
         "                     counters under \"target\"; \"prepared\": the layers\n"
         "                     whose weights were prepared, decoded, and decoded\n"
         "                     with a residual, null with --no-prepare)\n"
         "  --device=NAME      cpu or sim (default: the stream's own device, the\n"
         "                     cpu device for cpu streams, the simulator of the\n"
         "                     target for accelerator streams)\n"
         "  --trace FILE.json  (sim) Chrome trace events of one inference\n"

         "  --threads=N        run the samples on N threads (default 1); the\n"
         "                     outputs, accuracy and cycles are the same for any N\n"
         "  --datapath         (sim) compute PE layers with the simulator's datapath\n"
         "                     model, step by step as the hardware does (slow; for\n"
         "                     checking it against the cpu kernels) instead of with\n"
         "                     the cpu kernels; the cycles are the same\n"
         "  --no-prepare       run every conv2d/dense per call on its weight format's\n"
         "                     own kernel (for testing: by default the weights are\n"
         "                     prepared once: BBS, ternary, binary ones decoded,\n"
         "                     stride-1 conv ones packed, CBR row sums made; the\n"
         "                     outputs are the same bytes)\n"
         "  --dump-activations DIR  every layer's output for the first N samples\n"
         "                     (--dump-samples, default 1) as DIR/NAME.npy, float32\n"
         "                     [N, ...] (int8 layers dequantized), and for int8\n"
         "                     layers also DIR/NAME.int8.npy, the raw values; NAME\n"
         "                     is the command name with characters other than\n"
         "                     letters, digits, '_' and '-' made '_' (unnamed:\n"
         "                     cmdI; a name taken before gets _I, I the command\n"
         "                     index); DIR is created if missing\n"
         "  --compare-f32 F32.spxbin  also run the float model (the network compiled\n"
         "                     with --set='quantize f32') on the same inputs and\n"
         "                     print per layer (matched by name; the others listed\n"
         "                     as skipped) the SQNR in dB, 10 log10(sum ref^2 /\n"
         "                     sum (x - ref)^2) over every sample and element, and\n"
         "                     the max abs error of the dequantized outputs against\n"
         "                     the float ones; --report gets them per layer as\n"
         "                     \"sqnr_db\" and \"max_abs_error\"\n"
         "  -h, --help         this text\n"
         "  --version          the spx-run version\n"
         "Options take their value as '--opt VALUE' or '--opt=VALUE'. One of\n"
         "--output, --report and --trace may be '-', standard output; what spx-run\n"
         "prints (accuracy, cycles, --compare-f32) then goes to standard error.\n"
         "Exit status: 0; 1 for an error in the model or the inputs; 2 for a\n"
         "usage error.\n", prog);
}

/* ---- per-layer timing (hooks) ----------------------------------------------
 * Each worker thread has its own statistics (merged after the run). */

typedef struct layer_stat {
  uint64_t calls;
  double total_s;
  /* What the simulator counted (sums over the samples; cycle_runs of them) */
  uint64_t cycle_runs, cycles, compute_cycles, memory_cycles, busy;
  uint32_t units;
  const char *unit, *bound; /* static strings of the device */
} layer_stat_t;

typedef struct timing {
  layer_stat_t *stats;
  struct timespec t0;
} timing_t;

static void before_layer(void *user, uint32_t index, const char *name) {
  timing_t *t = user;
  (void)index;
  (void)name;
  clock_gettime(CLOCK_MONOTONIC, &t->t0);
}

static void after_layer(void *user, uint32_t index, const char *name,
                        spx_rt_status_t status) {
  timing_t *t = user;
  struct timespec t1;
  (void)name;
  (void)status;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  t->stats[index].calls++;
  t->stats[index].total_s += (double)(t1.tv_sec - t->t0.tv_sec) +
                             1e-9 * (double)(t1.tv_nsec - t->t0.tv_nsec);
}

static void layer_cycles(void *user, uint32_t index, const spx_rt_cycles_t *c) {
  layer_stat_t *st = &((timing_t *)user)->stats[index];
  st->cycle_runs++;
  st->cycles += c->cycles;
  st->compute_cycles += c->compute_cycles;
  st->memory_cycles += c->memory_cycles;
  st->busy += c->busy;
  st->units = c->units;
  st->unit = c->unit;
  st->bound = c->bound;
}

/* Adds a worker's statistics into the run's. */
static void merge_stats(layer_stat_t *into, const layer_stat_t *from, uint32_t n) {
  uint32_t i;
  for (i = 0; i < n; ++i) {
    layer_stat_t *a = &into[i];
    const layer_stat_t *b = &from[i];
    a->calls += b->calls;
    a->total_s += b->total_s;
    a->cycle_runs += b->cycle_runs;
    a->cycles += b->cycles;
    a->compute_cycles += b->compute_cycles;
    a->memory_cycles += b->memory_cycles;
    a->busy += b->busy;
    if (b->cycle_runs) {
      a->units = b->units;
      a->unit = b->unit;
      a->bound = b->bound;
    }
  }
}

/* ---- workers ----------------------------------------------------------------
 * --threads=N: N workers run the samples, each with its own workspace,
 * outputs and statistics; a worker takes the next sample under the lock, so
 * every sample runs once, reads row i of every input and writes row i of
 * every kept output, so the outputs are the same whatever N. After a failure
 * no new sample starts; the error reported is the lowest failing sample's. */

typedef struct shared {
  const spx_rt_model_t *model;
  uint32_t n_in, n_out;   /* the model's inputs and outputs */
  const float **inputs;   /* per model input: [samples, per_in[k]] */
  const size_t *per_in;
  float **outbufs;        /* per model output: [samples, per_out[k]], or NULL
                             (computed into the worker's scratch, not kept) */
  const size_t *per_out;
  size_t samples;
  int timed; /* --report: each command's wall time (two clock reads a command) */
  pthread_mutex_t lock;
  size_t next;      /* the next sample to take */
  size_t failed_at; /* lowest failing sample, `samples` if none */
  spx_rt_error_t error;
} shared_t;

typedef struct worker {
  shared_t *sh;
  pthread_t thread;
  void *ws;
  size_t ws_size;
  const float **ins; /* per model input: the sample's row */
  float **outs;      /* per model output: the sample's row, or scratch */
  float *scratch;    /* the outputs that are not kept */
  layer_stat_t *stats;
  timing_t timing;
  spx_rt_run_hooks_t hooks;
} worker_t;

static int worker_init(worker_t *w, shared_t *sh, const spx_cs_stream_t *s) {
  size_t scratch_n = 0;
  uint32_t k;
  memset(w, 0, sizeof *w);
  w->sh = sh;
  w->ws_size = spx_rt_model_workspace_size(sh->model);
  w->ws = aligned_alloc(16, w->ws_size ? w->ws_size : 16);
  w->stats = calloc(s->command_count ? s->command_count : 1, sizeof *w->stats);
  for (k = 0; k < sh->n_out; ++k)
    if (!sh->outbufs[k]) scratch_n += sh->per_out[k];
  w->ins = calloc(sh->n_in ? sh->n_in : 1, sizeof *w->ins);
  w->outs = calloc(sh->n_out ? sh->n_out : 1, sizeof *w->outs);
  w->scratch = malloc((scratch_n ? scratch_n : 1) * sizeof *w->scratch);
  if (!w->ws || !w->stats || !w->ins || !w->outs || !w->scratch) return -1;
  for (scratch_n = 0, k = 0; k < sh->n_out; ++k)
    if (!sh->outbufs[k]) {
      w->outs[k] = w->scratch + scratch_n;
      scratch_n += sh->per_out[k];
    }
  w->timing.stats = w->stats;
  w->hooks.user = &w->timing;
  if (sh->timed) { /* an aie stream has thousands of commands */
    w->hooks.before = before_layer;
    w->hooks.after = after_layer;
  }
  w->hooks.cycles = layer_cycles;
  return 0;
}

static void worker_free(worker_t *w) {
  free(w->ws);
  free(w->stats);
  free(w->ins);
  free(w->outs);
  free(w->scratch);
}

static void *worker_main(void *arg) {
  worker_t *w = arg;
  shared_t *sh = w->sh;
  for (;;) {
    size_t i;
    uint32_t k;
    spx_rt_error_t e;
    pthread_mutex_lock(&sh->lock);
    i = sh->next++;
    if (i >= sh->samples || sh->failed_at < sh->samples) i = sh->samples;
    pthread_mutex_unlock(&sh->lock);
    if (i == sh->samples) return NULL;
    for (k = 0; k < sh->n_in; ++k) w->ins[k] = sh->inputs[k] + i * sh->per_in[k];
    for (k = 0; k < sh->n_out; ++k)
      if (sh->outbufs[k]) w->outs[k] = sh->outbufs[k] + i * sh->per_out[k];
    if (spx_rt_model_run(sh->model, w->ins, w->outs, w->ws, w->ws_size, &w->hooks, &e)) {
      pthread_mutex_lock(&sh->lock);
      if (i < sh->failed_at) {
        sh->failed_at = i;
        sh->error = e;
      }
      pthread_mutex_unlock(&sh->lock);
    }
    /* The simulators' cycle models depend on the stream and the machine
     * description, not on the data: a worker counts them on its first
     * sample only (costing a layer can take longer than running it). */
    w->hooks.cycles = NULL;
  }
}

static void collect_workspaces(const void **wss, const worker_t *w, unsigned n) {
  unsigned i;
  for (i = 0; i < n; ++i) wss[i] = w[i].ws;
}

/* Cycles of one inference: the mean over the runs that counted them (each
 * worker's first sample; the models count the same cycles for every
 * sample). */
static uint64_t per_run(const layer_stat_t *st, uint64_t v) {
  return st->cycle_runs ? (v + st->cycle_runs / 2) / st->cycle_runs : 0;
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; ++s) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

/* The output files (--output, --trace, --report) go into one set, written
 * under temporary names and renamed into place together at the end: a
 * failed or interrupted run leaves the previous ones and no temporary. */
static FILE *open_out(spx_outset_t *set, const char *path) {
  FILE *f = spx_outset_open(set, path);
  if (!f) error(path, "cannot write: %s", strerror(errno));
  return f;
}

static int write_cb(void *ctx, const void *data, size_t size);

/* --compare-f32: one command's figures against the float model. */
typedef struct cmp {
  int has, exact; /* exact: no error at all (SQNR infinite) */
  double sqnr_db, max_abs;
} cmp_t;

static int write_report(spx_outset_t *set, const char *path, const char *model_path,
                        const spx_cs_stream_t *s, const char *device,
                        size_t samples, const layer_stat_t *stats,
                        const spx_rt_model_t *model, const void *const *ws,
                        unsigned n_ws, const cmp_t *cmp, const size_t *correct) {
  FILE *f = open_out(set, path);
  uint32_t i;
  double total = 0;
  uint64_t cycles = 0; /* of one inference, over the layers */
  if (!f) return 1;
  fprintf(f, "{\n  \"model\": ");
  json_string(f, model_path);
  fprintf(f, ",\n  \"device\": ");
  json_string(f, device);
  fprintf(f, ",\n  \"samples\": %zu,", samples);
  /* --labels: the top-1 accuracy of output 0 over the samples. */
  if (correct)
    fprintf(f, "\n  \"accuracy\": %.6f, \"correct\": %zu,",
            samples ? (double)*correct / (double)samples : 0.0, *correct);
  /* what spx_rt_model_prepare made (null: --no-prepare) */
  if (model->prepared)
    fprintf(f, "\n  \"prepared\": {\"layers\": %u, \"decoded\": %u, \"residual\": %u},",
            (unsigned)model->prepared->layers, (unsigned)model->prepared->decoded,
            (unsigned)model->prepared->residual);
  else
    fprintf(f, "\n  \"prepared\": null,");
  fprintf(f, "\n  \"layers\": [");
  for (i = 0; i < s->command_count; ++i) {
    spx_cs_command_t cmd;
    const char *op = "?";
    const spx_cs_opcode_info_t *info;
    spx_cs_stream_command(s, i, &cmd);
    info = spx_cs_opcode_info(cmd.opcode);
    /* cpu.layer, and the targets' opcodes that begin with its fields (their
     * first field is the op): the layer's op; others: the opcode's name. */
    if (info && info->field_count && !strcmp(info->fields[0].name, "op") &&
        spx_cs_cpu_op_name(cmd.u.cpu_layer.op))
      op = spx_cs_cpu_op_name(cmd.u.cpu_layer.op);
    else if (info)
      op = info->name;
    total += stats[i].total_s;
    fprintf(f, "%s\n    {\"index\": %u, \"name\": ", i ? "," : "", (unsigned)i);
    json_string(f, cmd.name ? cmd.name : "");
    fprintf(f, ", \"op\": ");
    json_string(f, op);
    if (info && cmd.opcode != SPX_CS_OP_CPU_LAYER) {
      fprintf(f, ", \"opcode\": ");
      json_string(f, info->name);
    }
    fprintf(f, ", \"calls\": %llu, \"total_ms\": %.6f, \"mean_us\": %.3f",
            (unsigned long long)stats[i].calls, stats[i].total_s * 1e3,
            stats[i].calls ? stats[i].total_s * 1e6 / (double)stats[i].calls : 0.0);
    if (cmp && cmp[i].has) {
      if (!cmp[i].exact) fprintf(f, ", \"sqnr_db\": %.4f", cmp[i].sqnr_db);
      fprintf(f, ", \"max_abs_error\": %.9g", cmp[i].max_abs);
    }
    if (stats[i].cycle_runs) {
      const layer_stat_t *st = &stats[i];
      uint64_t cyc = per_run(st, st->cycles);
      cycles += cyc;
      fprintf(f, ",\n     \"cycles\": %llu, \"compute_cycles\": %llu, \"memory_cycles\": %llu, "
              "\"bound\": ", (unsigned long long)cyc,
              (unsigned long long)per_run(st, st->compute_cycles),
              (unsigned long long)per_run(st, st->memory_cycles));
      json_string(f, st->bound ? st->bound : "");
      fprintf(f, ", \"unit\": ");
      json_string(f, st->unit ? st->unit : "");
      fprintf(f, ", \"units\": %u", (unsigned)st->units);
      if (st->units && st->cycles)
        fprintf(f, ", \"utilization\": %.4f",
                (double)st->busy / ((double)st->units * (double)st->cycles));
    }
    fputc('}', f);
  }
  fprintf(f, "\n  ],\n  \"total_ms\": %.6f", total * 1e3);
  if (cycles) fprintf(f, ",\n  \"cycles\": %llu", (unsigned long long)cycles);
  /* The device's own statistics of these runs (a simulator's counters). */
  if (model->device->write_report) {
    spx_rt_error_t e;
    fprintf(f, ",\n  \"target\": ");
    if (model->device->write_report(model, ws, n_ws, write_cb, f, &e) != SPX_RT_OK)
      return error(path, "%s", e.message);
  }
  fprintf(f, "\n}\n");
  return 0; /* write errors are found by the commit */
}

/* ---- simulators ------------------------------------------------------------ */

static int write_cb(void *ctx, const void *data, size_t size) {
  return fwrite(data, 1, size, (FILE *)ctx) != size;
}

static int write_trace(spx_outset_t *set, const char *path, const spx_rt_device_t *dev,
                       const spx_cs_stream_t *s) {
  spx_rt_error_t e;
  void *scratch = malloc(dev->trace_scratch ? dev->trace_scratch : 1);
  FILE *f;
  int rc = 0;
  if (!scratch) return error(path, "out of memory");
  if (!(f = open_out(set, path))) {
    free(scratch);
    return 1;
  }
  if (dev->write_trace(s, write_cb, f, scratch, &e) != SPX_RT_OK)
    rc = error(path, "%s", e.message);
  free(scratch);
  return rc;
}

/* ---- activations (--dump-activations, --compare-f32) -----------------------
 * The run hooks' output callback gives each command's output tensor after it
 * ran; a capture keeps them for the first `samples` samples, run one after
 * the other on one workspace. */

typedef struct cap_layer {
  spx_cs_tensor_t t;  /* the output record (the same every sample) */
  const char *name;   /* the command name ("" if none) */
  size_t elems;       /* elements of one sample */
  unsigned char *buf; /* [samples][elems * dtype size] */
} cap_layer_t;

typedef struct capture {
  uint32_t count; /* commands */
  size_t samples, cur;
  int failed;     /* out of memory */
  cap_layer_t *layers;
} capture_t;

static size_t rec_elems(const spx_cs_tensor_t *t) {
  size_t n = 1;
  unsigned d;
  for (d = 0; d < t->rank; ++d) n *= t->dims[d];
  return n;
}

static void capture_output(void *user, uint32_t index, const char *name,
                           const spx_cs_tensor_t *t, const void *data) {
  capture_t *c = user;
  cap_layer_t *L;
  size_t bytes;
  if (index >= c->count) return;
  L = &c->layers[index];
  if (!L->buf) {
    L->t = *t;
    L->name = name;
    L->elems = rec_elems(t);
    if (L->elems * spx_cs_dtype_size(t->dtype) > t->ws_size) L->elems = 0;
    if (!(L->buf = calloc(c->samples * L->elems * spx_cs_dtype_size(t->dtype) + 1, 1))) {
      c->failed = 1;
      return;
    }
  }
  bytes = L->elems * spx_cs_dtype_size(L->t.dtype);
  memcpy(L->buf + c->cur * bytes, data, bytes);
}

static void capture_free(capture_t *c) {
  uint32_t i;
  if (c->layers)
    for (i = 0; i < c->count; ++i) free(c->layers[i].buf);
  free(c->layers);
  memset(c, 0, sizeof *c);
}

/* Runs samples 0 .. samples-1 of `inputs` through model m, capturing every
 * command's output. 0, or 1 after an error printed for `path`. */
static int capture_run(const char *path, const spx_rt_model_t *m, const float *const *inputs,
                       const size_t *per_in, size_t samples, capture_t *c) {
  const spx_cs_stream_t *s = &m->stream;
  size_t ws_size = spx_rt_model_workspace_size(m), n_out = 0, i;
  void *ws = aligned_alloc(16, ws_size ? SPX_RT_ALIGN16(ws_size) : 16);
  const float **ins = calloc(s->input_count + 1, sizeof *ins);
  float **outs = calloc(s->output_count + 1, sizeof *outs);
  float *obuf;
  uint32_t k;
  spx_rt_run_hooks_t hooks;
  int rc = 1;
  memset(c, 0, sizeof *c);
  memset(&hooks, 0, sizeof hooks);
  for (k = 0; k < s->output_count; ++k) n_out += spx_rt_model_output_count(m, k);
  obuf = malloc((n_out + 1) * sizeof *obuf);
  c->count = s->command_count;
  c->samples = samples;
  c->layers = calloc(s->command_count + 1, sizeof *c->layers);
  if (!ws || !ins || !outs || !obuf || !c->layers) {
    error(path, "out of memory");
    goto out;
  }
  for (n_out = 0, k = 0; k < s->output_count; ++k) {
    outs[k] = obuf + n_out;
    n_out += spx_rt_model_output_count(m, k);
  }
  hooks.user = c;
  hooks.output = capture_output;
  for (i = 0; i < samples; ++i) {
    spx_rt_error_t e;
    for (k = 0; k < s->input_count; ++k) ins[k] = inputs[k] + i * per_in[k];
    c->cur = i;
    if (spx_rt_model_run(m, ins, outs, ws, ws_size, &hooks, &e)) {
      error(path, "sample %zu: %s", i, e.message);
      goto out;
    }
    if (c->failed) {
      error(path, "out of memory");
      goto out;
    }
  }
  rc = 0;
out:
  free(ws);
  free((void *)ins);
  free(outs);
  free(obuf);
  return rc;
}

static float cap_value(const cap_layer_t *L, size_t i) {
  switch (L->t.dtype) {
  case SPX_CS_DTYPE_F32: {
    float v;
    memcpy(&v, L->buf + 4 * i, 4);
    return v;
  }
  case SPX_CS_DTYPE_INT8:
    return L->t.scale * (float)((int32_t)((const int8_t *)L->buf)[i] - L->t.zero_point);
  case SPX_CS_DTYPE_INT32: {
    int32_t v;
    memcpy(&v, L->buf + 4 * i, 4);
    return (float)v;
  }
  default:
    return 0.0f;
  }
}

/* A file name from a command name: letters, digits, '_' and '-' kept, every
 * other byte '_'; unnamed: "cmdI"; a name already taken by an earlier
 * command gets "_I" (I its command index). */
static void dump_name(char *buf, size_t cap, const capture_t *c, uint32_t index,
                      char (*taken)[128]) {
  const char *n = c->layers[index].name;
  size_t j = 0;
  uint32_t p;
  int dup;
  if (!n || !n[0]) {
    snprintf(buf, cap, "cmd%u", (unsigned)index);
  } else {
    for (; n[j] && j + 1 < cap; ++j) {
      char ch = n[j];
      int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
               (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
      buf[j] = ok ? ch : '_';
    }
    buf[j] = '\0';
  }
  do {
    dup = 0;
    for (p = 0; p < index; ++p)
      if (taken[p][0] && !strcmp(taken[p], buf)) dup = 1;
    if (dup) {
      size_t len = strlen(buf);
      snprintf(buf + len, cap > len ? cap - len : 0, "_%u", (unsigned)index);
    }
  } while (dup);
}

/* Writes DIR/NAME.npy (f32; dequantized for int8) and DIR/NAME.int8.npy (int8
 * layers: the raw values) of every captured command: [samples, dims without
 * a leading 1]. */
static int write_dump(spx_outset_t *set, const char *dir, const capture_t *c) {
  uint32_t i;
  char (*taken)[128] = calloc(c->count + 1, sizeof *taken);
  float *f = NULL;
  int rc = 1;
  if (!taken) return error(dir, "out of memory");
  for (i = 0; i < c->count; ++i) {
    const cap_layer_t *L = &c->layers[i];
    int64_t dims[SPX_MAX_RANK + 1];
    int rank = 0;
    unsigned d;
    char path[4096];
    size_t j, total;
    FILE *fp;
    if (!L->buf) continue;
    dump_name(taken[i], sizeof taken[i], c, i, taken);
    d = L->t.rank >= 1 && L->t.dims[0] == 1 ? 1 : 0;
    dims[rank++] = (int64_t)c->samples;
    for (; d < L->t.rank && rank <= SPX_MAX_RANK; ++d) dims[rank++] = L->t.dims[d];
    if (rank > SPX_MAX_RANK) {
      error(dir, "layer '%s': rank %d is more than .npy writing supports", L->name, rank);
      goto out;
    }
    total = c->samples * L->elems;
    free(f);
    if (!(f = malloc((total + 1) * sizeof *f))) {
      error(dir, "out of memory");
      goto out;
    }
    for (j = 0; j < total; ++j) f[j] = cap_value(L, j);
    snprintf(path, sizeof path, "%s/%s.npy", dir, taken[i]);
    if (!(fp = open_out(set, path))) goto out;
    if (spx_npy_fwrite(fp, SPX_DT_F32, rank, dims, f)) {
      error(path, "cannot write: %s", strerror(errno));
      goto out;
    }
    if (L->t.dtype != SPX_CS_DTYPE_F32) {
      snprintf(path, sizeof path, "%s/%s.%s.npy", dir, taken[i],
               L->t.dtype == SPX_CS_DTYPE_INT8 ? "int8" : "int32");
      if (!(fp = open_out(set, path))) goto out;
      if (spx_npy_fwrite(fp, L->t.dtype == SPX_CS_DTYPE_INT8 ? SPX_DT_I8 : SPX_DT_I32, rank,
                         dims, L->buf)) {
        error(path, "cannot write: %s", strerror(errno));
        goto out;
      }
    }
  }
  rc = 0;
out:
  free(f);
  free(taken);
  return rc;
}

/* --compare-f32: per command of the model, the command of the float model
 * with the same name; SQNR and max abs error of the dequantized outputs
 * against the float ones over every sample and element. */

/* Loads the float model of --compare-f32 for its own device; its inputs
 * must be the model's (count and elements per sample). */
static int load_f32(const char *path, spx_file_data_t *data, spx_cs_stream_t *s,
                    spx_rt_model_t *m, const spx_rt_model_t *q) {
  char err[512];
  spx_rt_error_t e;
  const spx_rt_device_t *dev;
  uint32_t k;
  if (spx_file_data_read(path, 0xffffffffu, data, err, sizeof err)) return error(path, "%s", err);
  if (spx_cs_stream_load(data->data, data->size, s, &e)) return error(path, "%s", e.message);
  if (!(dev = spx_rt_device_for_target(NULL, s->target)))
    return error(path, "no device runs %s streams", spx_cs_target_name(s->target));
  if (spx_rt_model_initialize(dev, s, m, &e)) return error(path, "%s", e.message);
  if (s->input_count != q->stream.input_count)
    return error(path, "the float model has %u inputs, the model %u", (unsigned)s->input_count,
                 (unsigned)q->stream.input_count);
  for (k = 0; k < s->input_count; ++k)
    if (spx_rt_model_input_count(m, k) != spx_rt_model_input_count(q, k))
      return error(path, "input %u of the float model has %zu elements, the model's %zu",
                   (unsigned)k, spx_rt_model_input_count(m, k), spx_rt_model_input_count(q, k));
  return 0;
}

static int compare_f32(const capture_t *q, const capture_t *f, cmp_t *out) {
  uint32_t i, j;
  int shown = 0;
  fprintf(info_out, "%-24s %12s %14s\n", "layer", "sqnr_db", "max_abs_error");
  for (i = 0; i < q->count; ++i) {
    const cap_layer_t *a = &q->layers[i], *b = NULL;
    double sref = 0, serr = 0, mx = 0;
    size_t k, total;
    if (!a->buf || !a->name || !a->name[0]) continue;
    for (j = 0; j < f->count && !b; ++j)
      if (f->layers[j].buf && f->layers[j].name && !strcmp(f->layers[j].name, a->name))
        b = &f->layers[j];
    if (!b || b->elems != a->elems) continue;
    total = q->samples * a->elems;
    for (k = 0; k < total; ++k) {
      double r = cap_value(b, k), x = cap_value(a, k), d = x - r;
      sref += r * r;
      serr += d * d;
      if (fabs(d) > mx) mx = fabs(d);
    }
    out[i].has = 1;
    out[i].max_abs = mx;
    out[i].exact = serr == 0;
    out[i].sqnr_db = serr > 0 ? 10.0 * log10(sref / serr) : 0.0;
    if (out[i].exact)
      fprintf(info_out, "%-24s %12s %14.6g\n", a->name, "inf", mx);
    else
      fprintf(info_out, "%-24s %12.2f %14.6g\n", a->name, out[i].sqnr_db, mx);
  }
  /* The layers without a counterpart. */
  for (i = 0; i < q->count; ++i)
    if (q->layers[i].buf && !out[i].has) {
      fprintf(info_out, "%s %s", shown++ ? "," : "skipped (not in the float model, or another shape):",
             q->layers[i].name && q->layers[i].name[0] ? q->layers[i].name : "(unnamed)");
    }
  if (shown) fprintf(info_out, "\n");
  shown = 0;
  for (j = 0; j < f->count; ++j) {
    int found = 0;
    if (!f->layers[j].buf) continue;
    for (i = 0; i < q->count && !found; ++i)
      found = out[i].has && q->layers[i].name && f->layers[j].name &&
              !strcmp(q->layers[i].name, f->layers[j].name);
    if (!found)
      fprintf(info_out, "%s %s", shown++ ? "," : "skipped (only in the float model):",
             f->layers[j].name && f->layers[j].name[0] ? f->layers[j].name : "(unnamed)");
  }
  if (shown) fprintf(info_out, "\n");
  return 0;
}

/* ---- main ------------------------------------------------------------------ */

typedef struct options {
  const char *model, *labels, *report, *device, *trace;
  const char *dump_dir, *compare; /* --dump-activations, --compare-f32 */
  size_t dump_samples;            /* --dump-samples=N, >= 1 (default 1) */
  const char **inputs, **outputs; /* --input, --output in the order given */
  unsigned n_inputs, n_outputs;
  int datapath;
  int no_prepare; /* --no-prepare */
  unsigned threads; /* --threads=N, >= 1 */
} options_t;

/* Returns 0 with *o filled (free o->inputs and o->outputs), 2 after a
 * usage error, or -1 when the run is complete (--help, --version). Every
 * option with a value takes it as '--opt VALUE' or '--opt=VALUE'. */
static int parse_args(int argc, char **argv, options_t *o) {
  enum { O_INPUT = 256, O_OUTPUT, O_LABELS, O_REPORT, O_DEVICE, O_TRACE, O_THREADS,
         O_DATAPATH, O_NO_PREPARE, O_DUMP, O_DUMP_SAMPLES, O_COMPARE, O_VERSION };
  static const struct option longopts[] = {
      {"input", required_argument, NULL, O_INPUT},
      {"output", required_argument, NULL, O_OUTPUT},
      {"labels", required_argument, NULL, O_LABELS},
      {"report", required_argument, NULL, O_REPORT},
      {"device", required_argument, NULL, O_DEVICE},
      {"trace", required_argument, NULL, O_TRACE},
      {"threads", required_argument, NULL, O_THREADS},
      {"datapath", no_argument, NULL, O_DATAPATH},
      {"no-prepare", no_argument, NULL, O_NO_PREPARE},
      {"dump-activations", required_argument, NULL, O_DUMP},
      {"dump-samples", required_argument, NULL, O_DUMP_SAMPLES},
      {"compare-f32", required_argument, NULL, O_COMPARE},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, O_VERSION},
      {NULL, 0, NULL, 0},
  };
  int opt, i;
  unsigned to_stdout = 0; /* outputs named '-' */
  memset(o, 0, sizeof *o);
  o->device = NULL; /* the stream's own device */
  o->threads = 1;
  o->dump_samples = 1;
  o->inputs = calloc((size_t)argc, sizeof *o->inputs);
  o->outputs = calloc((size_t)argc, sizeof *o->outputs);
  if (!o->inputs || !o->outputs) {
    fprintf(stderr, "%s: error: out of memory\n", prog);
    return 1;
  }
  opterr = 0; /* our own messages */
  while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
    const char *v = optarg;
    if (v && !*v) return usage_error("option '%s' needs a value", argv[optind - 1]);
    switch (opt) {
    case 'h': help(); return -1;
    case O_VERSION: printf("spx-run %s\n", SPX_VERSION); return -1;
    case O_INPUT:
      if (!strcmp(v, "-"))
        return usage_error("--input reads a file; '-' (standard input) is not one%s", "");
      o->inputs[o->n_inputs++] = v;
      break;
    case O_OUTPUT: {
      unsigned k;
      for (k = 0; k < o->n_outputs; ++k)
        if (!strcmp(o->outputs[k], v)) return usage_error("--output '%s' is given twice", v);
      o->outputs[o->n_outputs++] = v;
      to_stdout += !strcmp(v, "-");
      break;
    }
    case O_LABELS: o->labels = v; break;
    case O_REPORT: o->report = v; to_stdout += !strcmp(v, "-"); break;
    case O_DEVICE: o->device = v; break;
    case O_TRACE: o->trace = v; to_stdout += !strcmp(v, "-"); break;
    case O_DUMP: o->dump_dir = v; break;
    case O_COMPARE: o->compare = v; break;
    case O_DATAPATH: o->datapath = 1; break;
    case O_NO_PREPARE: o->no_prepare = 1; break;
    case O_THREADS: {
      char *end;
      unsigned long t;
      errno = 0;
      t = strtoul(v, &end, 10);
      if (errno || end == v || *end || v[0] == '-' || t < 1 || t > 256)
        return usage_error("--threads takes a number of threads from 1 to 256, not '%s'", v);
      o->threads = (unsigned)t;
      break;
    }
    case O_DUMP_SAMPLES: {
      char *end;
      unsigned long long t;
      errno = 0;
      t = strtoull(v, &end, 10);
      if (errno || end == v || *end || v[0] == '-' || t < 1)
        return usage_error("--dump-samples takes a number of samples, at least 1, not '%s'", v);
      o->dump_samples = (size_t)t;
      break;
    }
    case ':': return usage_error("option '%s' needs a value", argv[optind - 1]);
    default:
      {
        char buf[3];
        return usage_error("unknown option '%s'", spx_bad_option(optopt, argv[optind - 1], buf));
      }
    }
  }
  for (i = optind; i < argc; ++i) {
    if (o->model) return usage_error("more than one model file ('%s')", argv[i]);
    o->model = argv[i];
  }
  if (!o->model) return usage_error("no model file%s", "");
  if (!o->n_inputs) return usage_error("no --input file%s", "");
  if (to_stdout > 1)
    return usage_error("only one of --output, --report and --trace can be '-' (standard "
                       "output)%s", "");
  /* Standard output holds that file: what spx-run prints goes to stderr. */
  if (to_stdout) info_out = stderr;
  return 0;
}

static void shape_str(char *buf, size_t cap, unsigned rank, const uint32_t *dims) {
  size_t len = 0;
  unsigned d;
  len += (size_t)snprintf(buf, cap, "[");
  for (d = 0; d < rank && len < cap; ++d)
    len += (size_t)snprintf(buf + len, cap - len, "%s%u", d ? ", " : "",
                            (unsigned)dims[d]);
  if (len < cap) snprintf(buf + len, cap - len, "]");
}

/* The model's inputs (outputs: its outputs) for a count mismatch:
 * "2 inputs: 'a' [1, 4], 'b' [1, 4]". */
static void list_tensors(char *buf, size_t cap, const spx_cs_stream_t *s, int outputs) {
  uint32_t n = outputs ? s->output_count : s->input_count, k;
  size_t len = (size_t)snprintf(buf, cap, "%u %s%s:", (unsigned)n,
                                outputs ? "output" : "input", n == 1 ? "" : "s");
  for (k = 0; k < n && len < cap; ++k) {
    spx_cs_tensor_t t;
    char shape[128];
    spx_cs_stream_tensor(s, outputs ? spx_cs_stream_output(s, k) : spx_cs_stream_input(s, k), &t);
    shape_str(shape, sizeof shape, t.rank, t.dims);
    len += (size_t)snprintf(buf + len, cap - len, "%s '%s' %s", k ? "," : "", t.name, shape);
  }
}

int main(int argc, char **argv) {
  options_t o;
  spx_file_data_t data = {NULL, 0, 0}; /* the model */
  size_t n = 0, s_i, correct = 0;
  char err[512], shape[128], list[1024];
  spx_cs_stream_t stream;
  spx_rt_error_t cst;
  spx_rt_model_t model = {0}; /* {0}: spx_rt_model_release at done */
  spx_rt_error_t rerr;
  const spx_rt_device_t *dev;
  spx_npy_t *xs = NULL, y;
  const float **inputs = NULL;
  size_t *per_in = NULL, *per_out = NULL;
  float **outbufs = NULL;
  worker_t *workers = NULL;
  shared_t shared;
  const void **wss = NULL;
  unsigned t_i, n_x = 0; /* n_x: the .npy inputs read (to free) */
  uint32_t k;
  layer_stat_t *stats = NULL;
  spx_outset_t *outs_set = NULL;
  int rc = 1, have_y = 0, lock_made = 0;
  cmp_t *cmps = NULL;                /* --compare-f32, per command */
  spx_file_data_t fdata = {NULL, 0, 0}; /* --compare-f32: the float model */
  spx_cs_stream_t fstream;
  spx_rt_model_t fmodel;

  info_out = stdout;
  {
    int usage = parse_args(argc, argv, &o);
    if (usage) {
      rc = usage < 0 ? 0 : usage; /* -1: --help or --version */
      goto done;
    }
  }
  spx_outfile_handle_signals();
  if (o.device && !spx_rt_device_find(o.device)) {
    const char *const *names = spx_rt_device_names();
    fprintf(stderr, "%s: error: unknown device '%s' (devices:", prog, o.device);
    for (; *names; ++names) fprintf(stderr, " %s", *names);
    fprintf(stderr, ")\n");
    goto done;
  }

  {
    int bad = spx_file_data_read(o.model, 0xffffffffu, &data, err, sizeof err);
    if (!strcmp(o.model, "-")) o.model = "<stdin>"; /* in messages and the report */
    if (bad) {
      error(o.model, "%s", err);
      goto done;
    }
  }
  if (spx_cs_stream_load(data.data, data.size, &stream, &cst)) {
    error(o.model, "%s", cst.message);
    goto done;
  }
  /* The device of that name which runs this stream's target. */
  if (!(dev = spx_rt_device_for_target(o.device, stream.target))) {
    error(o.model, "device '%s' does not run %s streams (try --device=%s)",
          o.device ? o.device : "?", spx_cs_target_name(stream.target),
          stream.target == SPX_CS_TARGET_CPU ? "cpu" : "sim");
    goto done;
  }
  if (o.trace && !dev->write_trace) {
    error(o.model, "--trace needs a simulator that writes traces (--device=sim)");
    goto done;
  }
  if (spx_rt_model_initialize(dev, &stream, &model, &rerr)) {
    error(o.model, "%s", rerr.message);
    goto done;
  }
  if (o.datapath) model.flags |= SPX_RT_MODEL_DATAPATH;
  /* Weights decoded and packed once, shared by the workers (read-only). */
  if (!o.no_prepare && spx_rt_model_prepare(&model, NULL, NULL, &rerr)) {
    error(o.model, "%s", rerr.message);
    goto done;
  }
  /* One --input per model input; none or one --output per model output. */
  if (o.n_inputs != stream.input_count) {
    list_tensors(list, sizeof list, &stream, 0);
    error(o.model, "the model has %s; give one --input per model input, in this "
          "order (got %u)", list, o.n_inputs);
    goto done;
  }
  if (o.n_outputs && o.n_outputs != stream.output_count) {
    list_tensors(list, sizeof list, &stream, 1);
    error(o.model, "the model has %s; give one --output per model output, in this "
          "order, or none (got %u)", list, o.n_outputs);
    goto done;
  }
  xs = calloc(stream.input_count ? stream.input_count : 1, sizeof *xs);
  inputs = calloc(stream.input_count ? stream.input_count : 1, sizeof *inputs);
  per_in = calloc(stream.input_count ? stream.input_count : 1, sizeof *per_in);
  outbufs = calloc(stream.output_count ? stream.output_count : 1, sizeof *outbufs);
  per_out = calloc(stream.output_count ? stream.output_count : 1, sizeof *per_out);
  if (!xs || !inputs || !per_in || !outbufs || !per_out) {
    error(o.model, "out of memory");
    goto done;
  }

  /* Inputs: float32 [N, ...], the same N for every one. */
  for (k = 0; k < stream.input_count; ++k) {
    const char *path = o.inputs[k];
    spx_npy_t *x = &xs[k];
    spx_cs_tensor_t tin;
    spx_cs_stream_tensor(&stream, spx_cs_stream_input(&stream, k), &tin);
    per_in[k] = spx_rt_model_input_count(&model, k);
    if (spx_npy_read(path, x, err, sizeof err)) {
      error(path, "%s", err);
      goto done;
    }
    n_x++;
    if (x->dtype != SPX_DT_F32) {
      error(path, "dtype %s, expected float32", spx_dtype_name(x->dtype));
      goto done;
    }
    shape_str(shape, sizeof shape, tin.rank, tin.dims);
    if (x->rank < 1 || x->dims[0] < 1 || x->count % (size_t)x->dims[0] ||
        x->count / (size_t)x->dims[0] != per_in[k]) {
      if (stream.input_count == 1)
        error(path, "expected [N, ...] with %zu elements per sample (the model "
              "input is %s), got %zu elements in %lld samples", per_in[k], shape,
              x->count, x->rank >= 1 ? (long long)x->dims[0] : 0LL);
      else
        error(path, "expected [N, ...] with %zu elements per sample (model input "
              "%u '%s' is %s), got %zu elements in %lld samples", per_in[k],
              (unsigned)k, tin.name, shape, x->count,
              x->rank >= 1 ? (long long)x->dims[0] : 0LL);
      goto done;
    }
    if (k == 0) {
      n = (size_t)x->dims[0];
    } else if ((size_t)x->dims[0] != n) {
      error(path, "has %lld samples, but the first --input (%s) has %zu; every "
            "input needs the same number", (long long)x->dims[0], o.inputs[0], n);
      goto done;
    }
    inputs[k] = (const float *)x->data;
  }

  /* Labels. */
  if (o.labels) {
    if (spx_npy_read(o.labels, &y, err, sizeof err)) {
      error(o.labels, "%s", err);
      goto done;
    }
    have_y = 1;
    if (y.dtype != SPX_DT_I32 && y.dtype != SPX_DT_I8) {
      error(o.labels, "dtype %s, expected int32 or int8", spx_dtype_name(y.dtype));
      goto done;
    }
    if (y.rank != 1 || y.count != n) {
      error(o.labels, "expected %zu labels of shape [%zu], got %zu elements",
            n, n, y.count);
      goto done;
    }
  }

  /* Run: o.threads workers, each with its own workspace and statistics,
   * take samples in turn; sample i's outputs go to row i, so the outputs
   * do not depend on the thread count. Output 0 is kept for --labels; the
   * others only when they are written. */
  for (k = 0; k < stream.output_count; ++k) {
    per_out[k] = spx_rt_model_output_count(&model, k);
    if ((k == 0 || o.n_outputs) &&
        !(outbufs[k] = malloc((n * per_out[k] + 1) * sizeof(float)))) {
      error(o.model, "out of memory");
      goto done;
    }
  }
  workers = calloc(o.threads, sizeof *workers);
  stats = calloc(stream.command_count ? stream.command_count : 1, sizeof *stats);
  if (!workers || !stats) {
    error(o.model, "out of memory");
    goto done;
  }
  memset(&shared, 0, sizeof shared);
  shared.model = &model;
  shared.n_in = stream.input_count;
  shared.n_out = stream.output_count;
  shared.inputs = inputs;
  shared.per_in = per_in;
  shared.outbufs = outbufs;
  shared.per_out = per_out;
  shared.samples = n;
  shared.timed = o.report != NULL;
  shared.failed_at = n;
  pthread_mutex_init(&shared.lock, NULL);
  lock_made = 1;
  for (t_i = 0; t_i < o.threads; ++t_i)
    if (worker_init(&workers[t_i], &shared, &stream)) {
      error(o.model, "out of memory");
      goto done;
    }
  if (o.threads == 1) {
    worker_main(&workers[0]);
  } else {
    for (t_i = 0; t_i < o.threads; ++t_i)
      if (pthread_create(&workers[t_i].thread, NULL, worker_main, &workers[t_i])) {
        shared.failed_at = 0; /* stop the others */
        for (; t_i > 0; --t_i) pthread_join(workers[t_i - 1].thread, NULL);
        error(o.model, "cannot start %u threads", o.threads);
        goto done;
      }
    for (t_i = 0; t_i < o.threads; ++t_i) pthread_join(workers[t_i].thread, NULL);
  }
  if (shared.failed_at < n) {
    error(o.model, "sample %zu: %s", shared.failed_at, shared.error.message);
    goto done;
  }
  for (t_i = 0; t_i < o.threads; ++t_i) merge_stats(stats, workers[t_i].stats, stream.command_count);

  if (!(outs_set = spx_outset_create())) {
    error(o.model, "out of memory");
    goto done;
  }
  for (k = 0; k < o.n_outputs; ++k) {
    const char *path = o.outputs[k];
    int64_t dims[SPX_MAX_RANK + 1];
    spx_cs_tensor_t tout;
    FILE *f;
    int rank = 0;
    unsigned d;
    spx_cs_stream_tensor(&stream, spx_cs_stream_output(&stream, k), &tout);
    d = tout.rank >= 1 && tout.dims[0] == 1 ? 1 : 0;
    dims[rank++] = (int64_t)n;
    for (; d < tout.rank; ++d) dims[rank++] = tout.dims[d];
    if (rank > SPX_MAX_RANK) {
      error(path, "output rank %d is more than .npy writing supports", rank);
      goto done;
    }
    if (!(f = open_out(outs_set, path))) goto done;
    if (spx_npy_fwrite(f, SPX_DT_F32, rank, dims, outbufs[k])) {
      error(path, "cannot write: %s", strerror(errno));
      goto done;
    }
  }
  if (o.labels) {
    correct = 0;
    for (s_i = 0; s_i < n; ++s_i) {
      const float *row = outbufs[0] + s_i * per_out[0];
      size_t j, best = 0;
      long long label = y.dtype == SPX_DT_I32 ? ((const int32_t *)y.data)[s_i]
                                              : ((const int8_t *)y.data)[s_i];
      for (j = 1; j < per_out[0]; ++j)
        if (row[j] > row[best]) best = j;
      if (per_out[0] && (long long)best == label) correct++;
    }
    fprintf(info_out, "accuracy: %.4f (%zu/%zu)\n", n ? (double)correct / (double)n : 0.0,
           correct, n);
  }
  {
    uint64_t cycles = 0;
    int counted = 0;
    for (k = 0; k < stream.command_count; ++k) {
      cycles += per_run(&stats[k], stats[k].cycles);
      counted |= stats[k].cycle_runs > 0;
    }
    if (counted)
      fprintf(info_out, "cycles: %llu per inference (%s simulator; per layer: --report)\n",
             (unsigned long long)cycles, spx_cs_target_name(stream.target));
  }
  if (o.trace && write_trace(outs_set, o.trace, dev, &stream)) goto done;
  /* --dump-activations: the first N samples again, one after the other,
   * every layer's output captured through the run hooks. */
  if (o.dump_dir) {
    capture_t c;
    int bad;
    if (mkdir(o.dump_dir, 0777) && errno != EEXIST) {
      error(o.dump_dir, "cannot create: %s", strerror(errno));
      goto done;
    }
    bad = capture_run(o.model, &model, inputs, per_in,
                      o.dump_samples < n ? o.dump_samples : n, &c) ||
          write_dump(outs_set, o.dump_dir, &c);
    capture_free(&c);
    if (bad) goto done;
  }
  /* --compare-f32: both models over every sample, layers matched by name. */
  if (o.compare) {
    capture_t cq, cf;
    int bad = 1;
    memset(&cf, 0, sizeof cf);
    if (!(cmps = calloc(stream.command_count + 1, sizeof *cmps))) {
      error(o.model, "out of memory");
      goto done;
    }
    if (!capture_run(o.model, &model, inputs, per_in, n, &cq)) {
      if (!load_f32(o.compare, &fdata, &fstream, &fmodel, &model) &&
          !capture_run(o.compare, &fmodel, inputs, per_in, n, &cf))
        bad = compare_f32(&cq, &cf, cmps);
    }
    capture_free(&cq);
    capture_free(&cf);
    if (bad) goto done;
  }
  if (o.report &&
      (!(wss = calloc(o.threads, sizeof *wss)) ||
       (collect_workspaces(wss, workers, o.threads),
        write_report(outs_set, o.report, o.model, &stream, dev->name, n, stats, &model, wss,
                     o.threads, cmps, o.labels ? &correct : NULL))))
    goto done;
  if (spx_outset_commit(outs_set)) {
    error(spx_outset_failed_path(outs_set), "cannot write: %s", strerror(errno));
    goto done;
  }
  rc = 0;

done:
  spx_outset_destroy(outs_set); /* after a failure: removes the temporaries */
  for (t_i = 0; t_i < n_x; ++t_i) spx_npy_free(&xs[t_i]);
  if (have_y) spx_npy_free(&y);
  if (outbufs)
    for (k = 0; k < stream.output_count; ++k) free(outbufs[k]);
  if (workers)
    for (t_i = 0; t_i < o.threads; ++t_i) worker_free(&workers[t_i]);
  if (lock_made) pthread_mutex_destroy(&shared.lock);
  free(workers);
  free((void *)wss);
  free(stats);
  free(cmps);
  spx_file_data_free(&fdata);
  spx_file_data_free(&data);
  free(xs);
  free((void *)inputs);
  free(per_in);
  free(outbufs);
  free(per_out);
  free((void *)o.inputs);
  free((void *)o.outputs);
  spx_rt_model_release(&model);
  if (fflush(stdout)) rc = 1;
  return rc;
}
