package embed

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

typedef int (*count_fn)(int *);

static int vecimg_can_dlopen(const char *name) {
	void *h = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
	if (h == NULL) return 0;
	dlclose(h);
	return 1;
}

// Returns the cudaError_t of cudaGetDeviceCount, or -1 when libcudart cannot
// be loaded, -2 when the symbol is missing.
static int vecimg_cuda_count(const char *lib, int *n) {
	void *h = dlopen(lib, RTLD_LAZY | RTLD_LOCAL);
	if (h == NULL) return -1;
	count_fn f = (count_fn)dlsym(h, "cudaGetDeviceCount");
	if (f == NULL) { dlclose(h); return -2; }
	int rc = f(n);
	return rc; // keep the library loaded: the CUDA provider will use it
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// missingLibraries returns the names the dynamic loader cannot open.
func missingLibraries(names []string) []string {
	var missing []string
	for _, n := range names {
		cs := C.CString(n)
		ok := C.vecimg_can_dlopen(cs) == 1
		C.free(unsafe.Pointer(cs))
		if !ok {
			missing = append(missing, n)
		}
	}
	return missing
}

// cudaDeviceCount asks the CUDA runtime how many GPUs it sees.
func cudaDeviceCount() (int, string) {
	cs := C.CString("libcudart.so.13")
	defer C.free(unsafe.Pointer(cs))
	var n C.int
	rc := C.vecimg_cuda_count(cs, &n)
	switch {
	case rc == -1:
		return 0, "libcudart.so.13 could not be loaded"
	case rc == -2:
		return 0, "cudaGetDeviceCount missing from libcudart.so.13"
	case rc != 0:
		return 0, fmt.Sprintf("cudaGetDeviceCount failed with CUDA error %d (driver missing or too old?)", int(rc))
	}
	return int(n), ""
}
