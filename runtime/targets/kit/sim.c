/* sim.c - the checks every PE-array simulator makes when it prepares a
 * model (kit.h, "Simulator devices"). */
#include "runtime/device/spx_device.h"
#include "runtime/targets/kit/kit.h"

spx_rt_status_t spx_tk_sim_check_stream(const spx_rt_device_t *device, const spx_cs_stream_t *s,
                                        spx_rt_error_t *error) {
  uint32_t i;
  if (s->target != device->target) {
    const char *t = spx_cs_target_name(s->target);
    return spx_rt_error_set(error, SPX_RT_ERR_ARG,
                            "stream target is %s; the %s device runs %s streams only",
                            t ? t : "unknown", device->name, spx_cs_target_name(device->target));
  }
  for (i = 0; i < s->input_count; ++i) {
    spx_cs_tensor_t t;
    spx_cs_stream_tensor(s, spx_cs_stream_input(s, i), &t);
    if (t.dtype != SPX_CS_DTYPE_F32 && t.dtype != SPX_CS_DTYPE_INT8)
      return spx_rt_error_set(error, SPX_RT_ERR_ARG, "input %u is neither f32 nor int8",
                              (unsigned)i);
  }
  return SPX_RT_OK;
}

spx_rt_status_t spx_tk_sim_check_hash(const spx_cs_stream_t *s, uint32_t i, const char *name,
                                      uint64_t hash, spx_rt_error_t *error) {
  if (hash == s->mdesc_hash) return SPX_RT_OK;
  return spx_rt_error_set_at(error, SPX_RT_ERR_ARG, i,
                             "command %u (%s): field 'mdesc': machine description hash "
                             "0x%016llx differs from the header's 0x%016llx",
                             (unsigned)i, name, (unsigned long long)hash,
                             (unsigned long long)s->mdesc_hash);
}
