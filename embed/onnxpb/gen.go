package onnxpb

// onnx.pb.go is generated from onnx.proto and committed, so building vecimg
// needs no protoc. To regenerate after editing onnx.proto (protoc 3.21 or
// newer, protoc-gen-go matching google.golang.org/protobuf in go.mod):
//
//	GOBIN=/tmp/gobin go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
//	PATH=/tmp/gobin:$PATH go generate ./embed/onnxpb/

//go:generate protoc --go_out=. --go_opt=paths=source_relative onnx.proto
