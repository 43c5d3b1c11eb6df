/* opcodes_aie.h - the aie target's opcodes, part of SPX_CS_OPCODES in
 * spx_stream.h (which includes this file; do not include it elsewhere).
 * Same form: X(ENUM, member, code, "text", FIELDS, doc), codes in the aie
 * range of SPX_CS_TARGETS. */
#ifndef SPX_CS_OPCODES_AIE_H
#define SPX_CS_OPCODES_AIE_H

#define SPX_CS_OPCODES_AIE(X)

#endif
