package ethsign

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// worstCaseTypedData builds an input near every limit at once: the most type
// fields (all re-validated per struct by go-ethereum), a long reference chain
// (walked for every type hash) and as many struct instances as fit.
func worstCaseTypedData() []byte {
	var types []string
	types = append(types, `"EIP712Domain":[{"name":"name","type":"string"}]`)
	const chain = maxDeps - 2 // P reaches Q and the whole chain
	for i := 0; i < chain; i++ {
		next := "uint8"
		if i+1 < chain {
			next = fmt.Sprintf("T%d[]", i+1)
		}
		types = append(types, fmt.Sprintf(`"T%d":[{"name":"a","type":"%s"},{"name":"b","type":"uint8"},{"name":"c","type":"uint8"},{"name":"d","type":"uint8"}]`, i, next))
	}
	// Unreachable padding types still cost: go-ethereum validates every
	// type for every struct it encodes.
	fields := 1 + chain*4 + 2 + 1
	for i := 0; fields+4 <= maxFields && len(types)+2 < maxTypes; i++ {
		types = append(types, fmt.Sprintf(`"U%d":[{"name":"a","type":"T0[]"},{"name":"b","type":"T1"},{"name":"c","type":"T2[2]"},{"name":"d","type":"uint8"}]`, i))
		fields += 4
	}
	types = append(types, `"Q":[{"name":"v","type":"uint8"},{"name":"t","type":"T0[]"}]`, `"P":[{"name":"items","type":"Q[]"}]`)
	items := make([]string, 0, maxObjects)
	for i := 0; i < maxObjects-fields-4; i++ {
		items = append(items, `{"v":1,"t":[]}`)
	}
	return []byte(`{"types":{` + strings.Join(types, ",") + `},"primaryType":"P","domain":{"name":"x"},"message":{"items":[` + strings.Join(items, ",") + `]}}`)
}

func TestTypedDataWorstCaseCost(t *testing.T) {
	data := worstCaseTypedData()
	start := time.Now()
	if _, err := ParseTypedData(data); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	t.Logf("worst-case typed data: %d bytes, parsed and hashed in %v", len(data), took)
	if took > time.Second {
		t.Errorf("worst case took %v", took)
	}
}

func BenchmarkParseTypedDataMail(b *testing.B) {
	for b.Loop() {
		if _, err := ParseTypedData([]byte(mailJSON)); err != nil {
			b.Fatal(err)
		}
	}
}
