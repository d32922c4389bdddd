package e2e

import (
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/client-go/kubernetes/scheme"
)

func clientScheme() serializer.CodecFactory { return scheme.Codecs }
