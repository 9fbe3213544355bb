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
