/* geom.c - the geometry of a conv2d/dense layer (kit.h), as the PE-array
 * targets' cost models, loaders and simulators see it. */
#include <string.h>

#include "runtime/targets/kit/kit.h"

int spx_tk_geom_init(spx_tk_geom_t *g, const spx_cs_cpu_layer_t *l, const spx_cs_tensor_t *in,
                     const spx_cs_tensor_t *out) {
  memset(g, 0, sizeof *g);
  if (l->op == SPX_CS_CPU_OP_CONV2D && in->rank == 4 && out->rank == 4) {
    g->n = in->dims[0];
    g->cin = in->dims[1];
    g->h = in->dims[2];
    g->w = in->dims[3];
    g->cout = out->dims[1];
    g->oh = out->dims[2];
    g->ow = out->dims[3];
    g->kh = l->kh;
    g->kw = l->kw;
    g->sh = l->sh;
    g->sw = l->sw;
    g->dh = l->dh;
    g->dw = l->dw;
    g->groups = l->groups;
    g->pad[0] = l->pad_t;
    g->pad[1] = l->pad_l;
    g->pad[2] = l->pad_b;
    g->pad[3] = l->pad_r;
  } else if (l->op == SPX_CS_CPU_OP_DENSE && in->rank == 2 && out->rank == 2) {
    g->n = in->dims[0];
    g->cin = in->dims[1];
    g->h = g->w = g->oh = g->ow = 1;
    g->cout = out->dims[1];
    g->kh = g->kw = g->sh = g->sw = g->dh = g->dw = g->groups = 1;
  } else {
    return -1;
  }
  if (!g->groups || g->cin % g->groups || !g->kh || !g->kw) return -1;
  g->cin_g = g->cin / g->groups;
  g->cout_g = g->cout / g->groups;
  g->k = (uint64_t)g->cin_g * g->kh * g->kw;
  g->p = (uint64_t)g->n * g->oh * g->ow;
  return 0;
}

void spx_tk_host_work(const spx_cs_cpu_layer_t *l, const spx_cs_tensor_t *const tensors[5],
                      uint64_t *work, uint64_t *in_bytes, uint64_t *out_bytes) {
  uint64_t in_e = 0, in_b = 0, out_e;
  unsigned k, sz;
  const spx_cs_tensor_t *o = tensors[4];
  for (k = 0; k < l->n_in && k < 4; ++k) {
    sz = spx_cs_dtype_size(tensors[k]->dtype);
    in_b += tensors[k]->ws_size;
    in_e += sz ? tensors[k]->ws_size / sz : 0;
  }
  sz = spx_cs_dtype_size(o->dtype);
  out_e = sz ? o->ws_size / sz : 0;
  if (l->op == SPX_CS_CPU_OP_MAXPOOL || l->op == SPX_CS_CPU_OP_AVGPOOL)
    *work = out_e * l->kh * l->kw;
  else
    *work = in_e + out_e;
  /* flatten/reshape in place is a view: no work, no traffic. */
  if (l->op == SPX_CS_CPU_OP_COPY && l->n_in == 1 && tensors[0]->ws_offset == o->ws_offset) {
    *work = 0;
    in_b = 0;
  }
  *in_bytes = in_b;
  *out_bytes = *work ? o->ws_size : 0;
}
