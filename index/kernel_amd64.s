#include "textflag.h"

// func dotCodeAVX2(q *float32, c *int8, n int) float32
// n is a positive multiple of 8. Four accumulators hide the FMA latency.
TEXT ·dotCodeAVX2(SB), NOSPLIT, $0-28
	MOVQ q+0(FP), SI
	MOVQ c+8(FP), DI
	MOVQ n+16(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
loop32:
	CMPQ CX, $32
	JL loop8
	VPMOVSXBD (DI), Y4
	VPMOVSXBD 8(DI), Y5
	VPMOVSXBD 16(DI), Y6
	VPMOVSXBD 24(DI), Y7
	VCVTDQ2PS Y4, Y4
	VCVTDQ2PS Y5, Y5
	VCVTDQ2PS Y6, Y6
	VCVTDQ2PS Y7, Y7
	VFMADD231PS (SI), Y4, Y0
	VFMADD231PS 32(SI), Y5, Y1
	VFMADD231PS 64(SI), Y6, Y2
	VFMADD231PS 96(SI), Y7, Y3
	ADDQ $32, DI
	ADDQ $128, SI
	SUBQ $32, CX
	JMP loop32
loop8:
	CMPQ CX, $8
	JL done
	VPMOVSXBD (DI), Y4
	VCVTDQ2PS Y4, Y4
	VFMADD231PS (SI), Y4, Y0
	ADDQ $8, DI
	ADDQ $32, SI
	SUBQ $8, CX
	JMP loop8
done:
	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VZEROUPPER
	MOVSS X0, ret+24(FP)
	RET

// func scaleCodeAVX2(dst *float32, w *float32, c *int8, n int)
// dst[i] = w[i] * float32(c[i]) for n a positive multiple of 8.
TEXT ·scaleCodeAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DX
	MOVQ w+8(FP), SI
	MOVQ c+16(FP), DI
	MOVQ n+24(FP), CX
sloop:
	VPMOVSXBD (DI), Y4
	VCVTDQ2PS Y4, Y4
	VMULPS (SI), Y4, Y4
	VMOVUPS Y4, (DX)
	ADDQ $8, DI
	ADDQ $32, SI
	ADDQ $32, DX
	SUBQ $8, CX
	JNZ sloop
	VZEROUPPER
	RET

// HSUMD puts the sum of Y0's eight int32 lanes into AX.
#define HSUMD \
	VEXTRACTI128 $1, Y0, X1; \
	VPADDD X1, X0, X0; \
	VPSHUFD $0x4E, X0, X1; \
	VPADDD X1, X0, X0; \
	VPSHUFD $0xB1, X0, X1; \
	VPADDD X1, X0, X0; \
	VMOVD X0, AX; \
	VZEROUPPER

// func dotCode16AVX2(q *int16, c *int8, n int) int32
// Σ q[i]·c[i] in int32 for n a positive multiple of 16: the codes widened
// to int16, VPMADDWD, four accumulators.
TEXT ·dotCode16AVX2(SB), NOSPLIT, $0-28
	MOVQ q+0(FP), SI
	MOVQ c+8(FP), DI
	MOVQ n+16(FP), CX
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
w64:
	CMPQ CX, $64
	JL w16
	VPMOVSXBW (DI), Y4
	VPMOVSXBW 16(DI), Y5
	VPMOVSXBW 32(DI), Y6
	VPMOVSXBW 48(DI), Y7
	VPMADDWD (SI), Y4, Y4
	VPMADDWD 32(SI), Y5, Y5
	VPMADDWD 64(SI), Y6, Y6
	VPMADDWD 96(SI), Y7, Y7
	VPADDD Y4, Y0, Y0
	VPADDD Y5, Y1, Y1
	VPADDD Y6, Y2, Y2
	VPADDD Y7, Y3, Y3
	ADDQ $64, DI
	ADDQ $128, SI
	SUBQ $64, CX
	JMP w64
w16:
	CMPQ CX, $16
	JL wdone
	VPMOVSXBW (DI), Y4
	VPMADDWD (SI), Y4, Y4
	VPADDD Y4, Y0, Y0
	ADDQ $16, DI
	ADDQ $32, SI
	SUBQ $16, CX
	JMP w16
wdone:
	VPADDD Y1, Y0, Y0
	VPADDD Y3, Y2, Y2
	VPADDD Y2, Y0, Y0
	HSUMD
	MOVL AX, ret+24(FP)
	RET

// func dotCode16VNNI(q *int16, c *int8, n int) int32
// dotCode16AVX2 for n a positive multiple of 32 with AVX-512 BW and VNNI:
// VPDPWSSD multiplies and accumulates 32 pairs at once.
TEXT ·dotCode16VNNI(SB), NOSPLIT, $0-28
	MOVQ q+0(FP), SI
	MOVQ c+8(FP), DI
	MOVQ n+16(FP), CX
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
v64:
	CMPQ CX, $64
	JL v32
	VPMOVSXBW (DI), Z4
	VPMOVSXBW 32(DI), Z5
	VPDPWSSD (SI), Z4, Z0
	VPDPWSSD 64(SI), Z5, Z1
	ADDQ $64, DI
	ADDQ $128, SI
	SUBQ $64, CX
	JMP v64
v32:
	CMPQ CX, $32
	JL vdone
	VPMOVSXBW (DI), Z4
	VPDPWSSD (SI), Z4, Z0
vdone:
	VPADDD Z1, Z0, Z0
	VEXTRACTI64X4 $1, Z0, Y1
	VPADDD Y1, Y0, Y0
	HSUMD
	MOVL AX, ret+24(FP)
	RET

// func quantQueryAVX2(dst *int16, w *float32, c *int8, n int)
// dst[i] = round-to-even(w[i]·float32(c[i])) for n a positive multiple of
// 16 (VCVTPS2DQ rounds to nearest even; the pack cannot saturate because
// the caller keeps |w[i]|·127 within the int16 range).
TEXT ·quantQueryAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DX
	MOVQ w+8(FP), SI
	MOVQ c+16(FP), DI
	MOVQ n+24(FP), CX
qloop:
	VPMOVSXBD (DI), Y0
	VPMOVSXBD 8(DI), Y1
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VMULPS (SI), Y0, Y0
	VMULPS 32(SI), Y1, Y1
	VCVTPS2DQ Y0, Y0
	VCVTPS2DQ Y1, Y1
	VPACKSSDW Y1, Y0, Y2
	VPERMQ $0xD8, Y2, Y2
	VMOVDQU Y2, (DX)
	ADDQ $16, DI
	ADDQ $64, SI
	ADDQ $32, DX
	SUBQ $16, CX
	JNZ qloop
	VZEROUPPER
	RET

