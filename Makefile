# vecimg — make targets. Each installs what it needs and is a quick no-op when
# that is already there.
#   make demo   ingest a few images into a throw-away store and query it
#   make test   go vet + go test, -race for the packages with goroutines
#               (installs ONNX Runtime into the user cache first)
#   make build  ./vecimg
#   make dist   vecimg-VERSION-linux-amd64.tar.gz (binary, ONNX Runtime, licences), then tests it
#   make ort    ONNX Runtime (CPU) into ${XDG_CACHE_HOME:-~/.cache}/vecimg/onnxruntime/1.29.0
#   make gpu    ONNX Runtime's CUDA provider beside it (CUDA 13, cuDNN 9 needed at run time)
SHELL := /bin/bash
GO ?= go
DEMO_DB := .demo/vecimg.db
ORT_LIB := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/vecimg/onnxruntime/1.29.0/libonnxruntime.so.1

.PHONY: build test demo ort gpu bench clean vet race-index dist

# --version prints these (cli.Version, cli.Commit).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null)
LDFLAGS := -X github.com/vecimg/vecimg/cli.Version=$(VERSION) -X github.com/vecimg/vecimg/cli.Commit=$(COMMIT)

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o vecimg .

ort: $(ORT_LIB)
$(ORT_LIB):
	scripts/install-ort.sh

gpu: ort
	scripts/install-ort.sh --gpu

vet:
	$(GO) vet ./...

# The packages that run goroutines are tested under the race detector;
# the others without it, and index too: its race run alone took 248 s on a
# quiet 2-core machine and over 10 minutes on a busy one (`make race-index`).
RACE_PKGS := ./embed ./cluster ./store ./internal/app ./internal/dedup ./internal/merge ./internal/sheet \
	./internal/parquetio ./internal/server/... ./cli
# The index's tests of its concurrent paths do run under it.
INDEX_RACE := ^(TestConcurrentSearchWhileAdding|TestExactSearchParts|TestParallelLinkDeterministic)$$

# VECIMG_REQUIRE_ORT makes the tests that need ONNX Runtime fail instead of skip.
test: ort
	$(GO) vet ./...
	VECIMG_REQUIRE_ORT=1 $(GO) test -race $(RACE_PKGS)
	$(GO) test -race -run '$(INDEX_RACE)' ./index
	VECIMG_REQUIRE_ORT=1 $(GO) test $(filter-out $(shell $(GO) list $(RACE_PKGS)),$(shell $(GO) list ./...))

# A release archive that needs no toolchain (scripts/dist.sh), checked by
# scripts/dist-test.sh under an empty HOME without go, gcc or npm.
dist: ort
	scripts/dist.sh $(VERSION) $(COMMIT) .
	scripts/dist-test.sh vecimg-$(VERSION)-linux-amd64.tar.gz

race-index:
	$(GO) test -race -timeout 30m ./index/...

demo: build ort
	@scripts/demo.sh ./vecimg $(DEMO_DB)

clean:
	rm -rf vecimg .demo vecimg-*-linux-amd64.tar.gz
