/* spx_device.h - running compiled models: one layer, a whole model, devices.
 *
 * A layer is described by spx_rt_layer_t, with its tensors' places in the
 * workspace and pointers to its weights already resolved. spx_rt_layer_run()
 * maps any layer to the kernels of runtime/kernels:
 *   - the cpu device decodes each cpu.layer command of a .spxbin into an
 *     spx_rt_layer_t and calls spx_rt_layer_run;
 *   - generated C (spxc --emit c) holds static spx_rt_layer_t tables and
 *     calls, per layer, the entry point of spx_direct.h for its kind, which
 *     runs the same kernels with the same parameters (spxc checked the
 *     layer with spx_rt_layer_validate when it wrote the C).
 * The simulators are checked bit-exactly against this path.
 * conv2d and dense weights are dispatched through their format's descriptor
 * (spx_fmt_find(weights_encoding), runtime/formats/spx_formats.h): its open
 * is the structural check of every run, its validate the full check of
 * spx_rt_layer_validate, and int8 layers run the one driver of
 * runtime/kernels (spx_rt_conv2d_s8_fmt / spx_rt_dense_s8_fmt) with the
 * format's inner product. An encoding with no descriptor, or one whose
 * format runs int8 only on an f32 layer, is refused with a reason.
 *
 * C99 (generated code includes it); no allocation: scratch memory is the
 * caller's (spx_rt_layer_scratch_size), except the prepared weights a
 * caller asks for (spx_rt_model_prepare, prepare.c; generated C never
 * does). */
#ifndef SPX_DEVICE_H
#define SPX_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "../kernels/spx_kernels.h"
#include "../stream/spx_stream.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rounds a byte count up to the 16-byte alignment of workspaces. */
#define SPX_RT_ALIGN16(x) (((x) + (size_t)15) & ~(size_t)15)

/* Element types of tensors: the values of runtime/stream's SPX_CS_DTYPES. */
enum {
#define SPX_RT_DT_X_(E, code, text, size) SPX_RT_##E = code,
  SPX_CS_DTYPES(SPX_RT_DT_X_)
#undef SPX_RT_DT_X_
};

/* A tensor: a place in the workspace plus its type, shape and quantization
 * (real = scale * (q - zero_point) for int8). */
typedef struct spx_rt_tensor {
  uint8_t dtype;
  uint8_t rank;
  uint32_t dims[6];
  float scale;
  int32_t zero_point;
  uint32_t offset; /* bytes into the workspace */
} spx_rt_tensor_t;

/* Layer kinds: the values of runtime/stream's SPX_CS_CPU_OPS. */
enum {
#define SPX_RT_OP_X_(E, code, text, min_in, max_in, params, doc) SPX_RT_OP_##E = code,
  SPX_CS_CPU_OPS(SPX_RT_OP_X_)
#undef SPX_RT_OP_X_
};

/* One layer. Fields an op does not use are 0 / NULL. The dtype of the first
 * input decides f32 or int8 kernels (QUANTIZE: f32 -> int8, DEQUANTIZE:
 * int8 -> f32). act is an spx_rt_act_t (SPX_CS_ACTS values). */
typedef struct spx_rt_layer {
  uint8_t op;
  uint8_t act;
  uint8_t n_in;
  int8_t axis; /* concat, softmax; negative counts from the end */
  const spx_rt_tensor_t *in[4];
  const spx_rt_tensor_t *out;
  const void *weights;       /* conv OIHW / dense [M][K]: f32 or int8, or
                                encoded bytes (weights_encoding != 0);
                                batchnorm: f32 scale [C] */
  const void *bias;          /* f32, or int32 for int8; may be NULL;
                                batchnorm: f32 shift [C], required */
  const int32_t *multiplier; /* int8 conv/dense: per output channel */
  const int32_t *shift;
  uint16_t groups;
  uint8_t kernel[2], stride[2], dilation[2];
  uint8_t pad[4]; /* top, left, bottom, right */
  uint16_t weights_encoding; /* SPX_CS_ENCODINGS: 0 dense, else a format of
                                runtime/formats (its descriptor's kernel) */
  uint32_t weights_size;     /* bytes of weights; 0 = not known (dense
                                weights only) */
  uint32_t multiplier_count; /* int8 conv2d/dense: 1 = one multiplier and
                                shift for every output channel (broadcast
                                by spx_rt_layer_run in its scratch); 0 or the
                                channel count = one per output channel */
} spx_rt_layer_t;

/* Resolves a cpu.layer command into a layer. tensors[0 .. n_in-1] are the
 * records of its inputs and tensors[4] of its output (runtime/stream
 * records); blobs[0..3] are its weights, bias, mult and shift (NULL when
 * absent; a blob's data may be NULL when only sizes matter). The layer's
 * tensor pointers point into tensor_store. */
void spx_rt_layer_init(spx_rt_layer_t *layer, spx_rt_tensor_t tensor_store[5],
                       const spx_cs_cpu_layer_t *cmd,
                       const spx_cs_tensor_t *const tensors[5],
                       const spx_cs_blob_t *const blobs[4]);

/* Bytes of scratch spx_rt_layer_run needs for this layer (0 for most). */
size_t spx_rt_layer_scratch_size(const spx_rt_layer_t *layer);
/* Runs one layer on the workspace (16-byte aligned) with the caller's
 * scratch (4-byte aligned, at least spx_rt_layer_scratch_size bytes). */
spx_rt_status_t spx_rt_layer_run(const spx_rt_layer_t *layer, uint8_t *workspace,
                                 void *scratch, size_t scratch_size);

/* ---- Prepared weights (a loaded model's, spx_rt_model_prepare) ----------
 *
 * Run once per loaded model, not per call: an int8 conv2d/dense whose format
 * has a decode_s8 (runtime/formats/spx_formats.h: BBS, ternary, binary)
 * gets its weights decoded to dense int8 (weights beyond int8, BBS
 * zero-point shifting's: clamped, plus a sparse residual of what the
 * clamping took off, whose products the kernels add before
 * requantizing), and every stride-1 conv of dense
 * int8 weights (decoded or the stream's own) gets them packed in the layout
 * of the register-blocked kernel, which otherwise repacks them per call.
 * CBR weights keep their format and kernels: their row sums, which those
 * kernels otherwise make per call, are made once (spx_rt_conv2d_s8_fmt_pack).
 * A decoded layer then runs on the dense int8 kernels: the same int32
 * accumulators as its format's dot (the decoded values are the ones the dot
 * multiplies, and integer sums do not depend on their order), so the same
 * bytes. Generated C never prepares (no allocation there): it runs every
 * layer per call, as spx_rt_layer_run. */
typedef struct spx_rt_prepared_weights {
  const void *source;  /* the layer's weights (encoded) it was made from */
  uint32_t rows, cols; /* and their dims (spx_fmt_dims_t): rows, cols, */
  uint16_t kh, kw;     /*   kh, kw, groups; a layer with other weights */
  uint32_t groups;     /*   or dims runs per call */
  const int8_t *s8;    /* dense int8 OIHW: decoded, or source itself;
                        * NULL: the weights stay in their format (CBR) */
  const void *packed;  /* s8: packed for the fast kernel (stride-1 conv,
                        * spx_rt_conv2d_s8_packed_size; dense on AVX-512);
                        * no s8: the format's packing (_fmt_packed_size) */
  size_t packed_size;  /*   its bytes, else 0 */
  const spx_rt_s8_residual_t *residual; /* exact weights - s8, or NULL */
} spx_rt_prepared_weights_t;

/* A model's prepared weights (spx_rt_model_prepare): at[i] those of
 * command i, NULL when it has none; mem: the one block holding at and all
 * the weights. */
typedef struct spx_rt_prepared {
  uint32_t count; /* commands */
  const spx_rt_prepared_weights_t *const *at;
  void *mem;
  void **residuals; /* [count]: each command's residual block, or NULL */
  uint32_t layers;   /* commands with prepared weights */
  uint32_t decoded;  /* of which decoded to dense int8 by their format */
  uint32_t residual; /* of which with a residual */
} spx_rt_prepared_t;

/* Bytes of memory spx_rt_layer_prepare needs for a layer (16-aligned), 0
 * when nothing of the layer is prepared (not an int8 conv2d/dense, LP, a
 * format with neither decode_s8 nor a packing of its own - a depthwise
 * CBR conv -, or dense weights the fast conv kernel does not take). */
size_t spx_rt_layer_prepared_size(const spx_rt_layer_t *layer);
/* Prepares a checked and validated layer's weights into mem (16-byte
 * aligned, spx_rt_layer_prepared_size bytes) and *out. A decoded weight
 * beyond int8 is written clamped and passed to excess(ctx, index in the
 * OIHW weights, exact - clamped) (the caller makes out->residual of them);
 * with excess NULL it is SPX_RT_ERR_RANGE (the layer keeps its format's
 * kernel). Other errors are errors of the weights. */
spx_rt_status_t spx_rt_layer_prepare(const spx_rt_layer_t *layer, void *mem, size_t size,
                                     void (*excess)(void *ctx, size_t index, int32_t excess),
                                     void *ctx, spx_rt_prepared_weights_t *out,
                                     spx_rt_error_t *err);
/* spx_rt_layer_scratch_size and spx_rt_layer_run with prepared weights
 * (NULL, or made for other weights: as without). A run whose scratch is
 * too small for the dense int8 path runs the layer per call. */
size_t spx_rt_layer_scratch_size_prepared(const spx_rt_layer_t *layer,
                                          const spx_rt_prepared_weights_t *prepared);
spx_rt_status_t spx_rt_layer_run_prepared(const spx_rt_layer_t *layer,
                                          const spx_rt_prepared_weights_t *prepared,
                                          uint8_t *workspace, void *scratch,
                                          size_t scratch_size);

/* Checks a layer as spx_rt_layer_run does (NULL pointers, op, input count,
 * dtypes, shapes against the op's result, quantization the int8 kernels
 * need) without running it; *err (if not NULL) says what is wrong. */
spx_rt_status_t spx_rt_layer_check(const spx_rt_layer_t *layer, spx_rt_error_t *err);
/* spx_rt_layer_check plus a full check of encoded weights (every group and
 * block, O(size of the weights)). Devices call it once per layer when they
 * prepare a model, so corrupt weights are refused before anything runs. */
spx_rt_status_t spx_rt_layer_validate(const spx_rt_layer_t *layer, spx_rt_error_t *err);

/* ==== Models and devices (runtime/device/cpu.c) ============================
 *
 * A model is a loaded, validated stream (spx_cs_stream_load) prepared for one
 * device. It lives in caller memory and holds no pointers but the stream view
 * and its device; running it needs one caller-provided workspace:
 *
 *   spx_rt_model_t m;
 *   spx_rt_model_initialize(&spx_rt_device_cpu, &stream, &m, &err);
 *   size_t n = spx_rt_model_workspace_size(&m);    (16-aligned bytes)
 *   ... void *ws = 16-byte aligned memory of n bytes ...
 *   spx_rt_model_run(&m, inputs, outputs, ws, n, NULL, &err);
 *
 * Workspace layout (cpu): [0, stream workspace_size rounded up to 16) holds
 * the activations at the tensors' ws_offsets (the compiler's memory plan);
 * then the scratch area, the largest any layer needs (kernel scratch, plus
 * room to broadcast a single requant multiplier/shift to every channel).
 *
 * Model inputs and outputs are float: an f32 tensor is copied, an int8 one is
 * quantized (input) or dequantized (output) with its own scale/zero point.
 * Errors carry the command index and a one-line message. */

/* What a simulator counted for one layer of a run, on its machine
 * description and with the cycle model its compile report and traces use.
 * Utilisation = busy / (units * cycles): the share of the layer's time its
 * units (PE rows, compute tiles) were busy. */
typedef struct spx_rt_cycles {
  uint64_t cycles;         /* the layer's latency */
  uint64_t compute_cycles; /* of which the units computed (overlapped or not) */
  uint64_t memory_cycles;  /* DRAM/DDR transfers */
  uint64_t busy;           /* sum over the units of their busy cycles */
  uint32_t units;          /* units the machine has for it (0: host layer) */
  const char *unit;        /* "pe row", "tile", "host" */
  const char *bound;       /* "compute", "memory" or "host" */
} spx_rt_cycles_t;

/* Optional callbacks around every command (e.g. to time or trace layers).
 * index is the command index, name the layer name ("" if none). after gets
 * the layer's status; a failing layer stops the run after its callback.
 * cycles (simulators; may be NULL): once per layer and run, with the index
 * of the layer's first command, after its commands ran.
 * output (may be NULL; added last, so hooks initialized with fewer members
 * or zeroed leave it NULL): after each command that ran without error, its
 * output tensor: t its record (dtype, shape, scale/zero point of int8) and
 * data its t->ws_size bytes in the workspace, valid until the next command
 * runs. Called by the cpu device and the bitserial, lpa and xbar
 * simulators (spx-run --dump-activations uses it). */
typedef struct spx_rt_run_hooks {
  void *user;
  void (*before)(void *user, uint32_t index, const char *name);
  void (*after)(void *user, uint32_t index, const char *name,
                spx_rt_status_t status);
  void (*cycles)(void *user, uint32_t index, const spx_rt_cycles_t *cycles);
  void (*output)(void *user, uint32_t index, const char *name,
                 const spx_cs_tensor_t *t, const void *data);
} spx_rt_run_hooks_t;

struct spx_rt_device;

typedef struct spx_rt_model {
  const struct spx_rt_device *device;
  spx_cs_stream_t stream;  /* the view; its bytes must outlive the model */
  size_t workspace_size;   /* total bytes spx_rt_model_run needs */
  size_t scratch_offset;   /* start of the scratch area in the workspace */
  size_t scratch_size;
  uint32_t flags;          /* SPX_RT_MODEL_*: 0 after initialize */
  /* spx_rt_model_prepare's per-command prepared weights (NULL: none; the
   * layers run per call); owned by the model, spx_rt_model_release. */
  const spx_rt_prepared_t *prepared;
} spx_rt_model_t;

/* A simulator computes its PE layers' values with its datapath model (every
 * PE step as the hardware does it: slow, for checking the datapath against
 * the cpu kernels) instead of with the cpu kernels. Its cycle counts are the
 * same either way; other devices ignore the flag. */
#define SPX_RT_MODEL_DATAPATH 0x1u

/* A device: a name and the functions that run a stream on it. Each target
 * of the registry (runtime/spx_targets.h) names its default device: the cpu
 * device below for cpu, the target's simulator (runtime/sim) otherwise. */
typedef struct spx_rt_device {
  const char *name;
  uint16_t target; /* the spx_cs_target_t of the streams it runs */
  spx_rt_status_t (*initialize)(const struct spx_rt_device *device,
                                const spx_cs_stream_t *stream,
                                spx_rt_model_t *out_model,
                                spx_rt_error_t *error);
  spx_rt_status_t (*run)(const spx_rt_model_t *model,
                         const float *const *inputs, float *const *outputs,
                         void *workspace, size_t workspace_size,
                         const spx_rt_run_hooks_t *hooks,
                         spx_rt_error_t *error);
  /* Optional (NULL: the device writes no traces): Chrome trace events (for
   * Perfetto) of one inference of `stream` through `write`, using
   * trace_scratch bytes of the caller's 8-byte aligned scratch. */
  size_t trace_scratch;
  spx_rt_status_t (*write_trace)(const spx_cs_stream_t *stream, spx_cs_write_fn write,
                                 void *ctx, void *scratch, spx_rt_error_t *error);
  /* Optional (NULL: none): the device's own statistics of the runs made
   * with the n workspaces (summed over them: one per thread of spx-run;
   * e.g. what its simulator counted), one JSON object through `write`
   * (spx-run --report puts it under "target"). */
  spx_rt_status_t (*write_report)(const spx_rt_model_t *model, const void *const *workspaces,
                                  unsigned n_workspaces, spx_cs_write_fn write, void *ctx,
                                  spx_rt_error_t *error);
  /* The opcodes (SPX_CS_OP_*; 0: unused) of the commands whose payload is a
   * cpu.layer record and whose values the device computes with
   * spx_rt_layer_run_prepared and spx_rt_model_prepared(model, i):
   * spx_rt_model_prepare prepares those (none: all 0). */
  uint8_t layer_opcodes[4];
  /* 1: of those, only the layers with dense int8 weights (the device runs
   * encoded weights its own way, and decoding them would go unused) */
  uint8_t prepare_dense_only;
} spx_rt_device_t;

/* The default device of every target (the registry's device column). */
#define SPX_RT_X_(E, nm, id, lo, hi, low, device, ...)                        \
  extern const spx_rt_device_t device;
SPX_TARGETS(SPX_RT_X_)
#undef SPX_RT_X_

/* The device called `name` ("cpu"), or NULL. */
const spx_rt_device_t *spx_rt_device_find(const char *name);
/* ---- for device implementations (model.c) ------------------------------ */

/* One cpu.layer of a loaded stream, decoded: its tensor and blob records
 * and the layer spx_rt_layer_init makes of them. Every device decodes its
 * layers so (the simulators pass the cpu.layer fields their own opcodes
 * carry). It points into itself: decode it in place, do not copy it. */
typedef struct spx_rt_layer_decoded {
  spx_cs_tensor_t rec[5];         /* in0..in3, out; zeroed when absent */
  const spx_cs_tensor_t *recp[5]; /* &rec[k] */
  spx_cs_blob_t blobs[4];         /* weights, bias, mult, shift */
  const spx_cs_blob_t *blobp[4];  /* &blobs[k], NULL when absent */
  spx_rt_tensor_t store[5];
  spx_rt_layer_t layer;
} spx_rt_layer_decoded_t;

/* Decodes the cpu.layer fields `cmd` of a command of stream s: resolves its
 * tensors and blobs (every blob in range, blobs of elements wider than a
 * byte 4-byte aligned in memory) and initializes out->layer. On failure
 * *err (if not NULL) says what is wrong. */
spx_rt_status_t spx_rt_layer_decode(const spx_cs_stream_t *s, const spx_cs_cpu_layer_t *cmd,
                                    spx_rt_layer_decoded_t *out, spx_rt_error_t *err);

/* Fills in a prepared model: the stream view, its device, and the workspace
 * layout (the stream's tensors, then max_scratch bytes of kernel scratch). */
void spx_rt_model_layout(spx_rt_model_t *model, const spx_rt_device_t *device,
                         const spx_cs_stream_t *stream, size_t max_scratch);
/* Checks the workspace (16-aligned, big enough) and the input/output arrays,
 * then copies each model input into its workspace place, quantizing f32 to
 * int8 where the model tensor is int8. Every device's run starts here. */
spx_rt_status_t spx_rt_model_stage_inputs(const spx_rt_model_t *model, const float *const *inputs,
                                          float *const *outputs, void *workspace,
                                          size_t workspace_size, spx_rt_error_t *error);
/* Copies each model output out of the workspace, dequantizing int8. */
spx_rt_status_t spx_rt_model_collect_outputs(const spx_rt_model_t *model, float *const *outputs,
                                             const void *workspace, spx_rt_error_t *error);

/* The device that runs streams of `target` (spx_cs_target_t) and is called
 * `name` ("cpu", "sim"), or with name NULL the target's default device: the
 * cpu device for cpu streams, the target's simulator otherwise. NULL if none. */
const spx_rt_device_t *spx_rt_device_for_target(const char *name, unsigned target);
/* Names of all devices, NULL-terminated. */
const char *const *spx_rt_device_names(void);

/* Prepares a loaded stream for `device`. Checks what the loader does not:
 * the target is the device's, every command is one it runs, every layer
 * passes spx_rt_layer_check, model inputs/outputs are f32 or int8, blobs are
 * dense and aligned in memory. *out_model is cleared first. error may be
 * NULL. */
spx_rt_status_t spx_rt_model_initialize(const spx_rt_device_t *device,
                                        const spx_cs_stream_t *stream,
                                        spx_rt_model_t *out_model,
                                        spx_rt_error_t *error);
/* Prepares an initialized model's weights once (above, "Prepared
 * weights"): decodes and packs the weights of every layer the device runs
 * through spx_rt_layer_run_prepared, in memory the model owns until
 * spx_rt_model_release. Call it before sizing workspaces: the dense int8
 * path can need more scratch, which it adds to the model's workspace size.
 * Read-only afterwards: runs on several threads share it. Allocates (the
 * one function of the runtime that does, with spx_rt_model_release
 * freeing); a model that is not prepared runs every layer per call.
 * *decoded / *residual (if not NULL) get the layers whose weights were
 * decoded to dense int8, and of those the ones with a residual (decoded
 * weights beyond int8). */
spx_rt_status_t spx_rt_model_prepare(spx_rt_model_t *model, uint32_t *decoded,
                                     uint32_t *residual, spx_rt_error_t *error);
/* Frees what spx_rt_model_prepare made (none: nothing); the model runs per
 * call again. */
void spx_rt_model_release(spx_rt_model_t *model);
/* The prepared weights of command i (NULL: none, or not prepared). */
const spx_rt_prepared_weights_t *spx_rt_model_prepared(const spx_rt_model_t *model, uint32_t i);

/* Bytes of workspace spx_rt_model_run needs (a multiple of 16). */
size_t spx_rt_model_workspace_size(const spx_rt_model_t *model);
/* Element counts of model input/output `index` (0 if out of range). */
size_t spx_rt_model_input_count(const spx_rt_model_t *model, uint32_t index);
size_t spx_rt_model_output_count(const spx_rt_model_t *model, uint32_t index);
/* Runs the model once: copies (or quantizes) inputs[i] into the workspace,
 * runs every command in order with its hooks, copies (or dequantizes) the
 * outputs into outputs[i]. workspace is 16-byte aligned, at least
 * spx_rt_model_workspace_size bytes; its contents need no initialization.
 * hooks and error may be NULL. */
spx_rt_status_t spx_rt_model_run(const spx_rt_model_t *model,
                                 const float *const *inputs,
                                 float *const *outputs, void *workspace,
                                 size_t workspace_size,
                                 const spx_rt_run_hooks_t *hooks,
                                 spx_rt_error_t *error);

#ifdef __cplusplus
}
#endif

#endif /* SPX_DEVICE_H */
