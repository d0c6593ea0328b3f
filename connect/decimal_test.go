package connect

import (
	"bytes"
	"math/big"
	"testing"
)

// The examples of Java's BigDecimal.toString documentation, and a few around the switch to
// scientific notation.
func TestDecimalString(t *testing.T) {
	for _, tt := range []struct {
		unscaled int64
		scale    int
		want     string
	}{
		{123, 0, "123"}, {-123, 0, "-123"}, {123, -1, "1.23E+3"}, {123, 3, "0.123"}, {123, 10, "1.23E-8"},
		{-123, 12, "-1.23E-10"}, {1230, 2, "12.30"}, {5, 6, "0.000005"}, {5, 7, "5E-7"}, {100, 9, "1.00E-7"}, {0, 2, "0.00"},
	} {
		d := DecimalFromUnscaled(big.NewInt(tt.unscaled), tt.scale)
		if got := DecimalString(d, tt.scale); got != tt.want {
			t.Errorf("%d scale %d: %s, want %s", tt.unscaled, tt.scale, got, tt.want)
		}
	}
}

// Kafka's encoding is BigInteger.toByteArray: minimal big-endian two's complement.
func TestDecimalBytes(t *testing.T) {
	for _, tt := range []struct {
		unscaled int64
		want     []byte
	}{
		{0, []byte{0}}, {127, []byte{0x7F}}, {128, []byte{0, 0x80}}, {156, []byte{0, 0x9C}}, {1234, []byte{0x04, 0xD2}},
		{-1, []byte{0xFF}}, {-128, []byte{0x80}}, {-129, []byte{0xFF, 0x7F}}, {-256, []byte{0xFF, 0x00}}, {-32768, []byte{0x80, 0}},
	} {
		for _, scale := range []int{0, 2, -3, 20} {
			d := DecimalFromUnscaled(big.NewInt(tt.unscaled), scale)
			got := DecimalBytes(d, scale)
			if !bytes.Equal(got, tt.want) {
				t.Errorf("%d scale %d: % x, want % x", tt.unscaled, scale, got, tt.want)
			}
			if back := DecimalUnscaled(DecimalFromBytes(got, scale), scale); back.Int64() != tt.unscaled {
				t.Errorf("%d scale %d: read back %v", tt.unscaled, scale, back)
			}
		}
	}
	big38, _ := new(big.Int).SetString("-99999999999999999999999999999999999999", 10)
	if back := DecimalUnscaled(DecimalFromBytes(DecimalBytes(DecimalFromUnscaled(big38, 10), 10), 10), 10); back.Cmp(big38) != 0 {
		t.Errorf("38 digits read back as %v", back)
	}
	if s, ok := DecimalScale(DecimalSchema(4, true)); !ok || s != 4 {
		t.Errorf("scale %d %v", s, ok)
	}
	if _, ok := DecimalScale(&Schema{Type: Bytes, Name: DecimalName}); ok {
		t.Error("a Decimal schema without a scale has none")
	}
}

func FuzzDecimalBytes(f *testing.F) {
	for _, b := range [][]byte{{0}, {0x80}, {0xFF, 0x7F}, {0x04, 0xD2}} {
		f.Add(b, 2)
	}
	f.Fuzz(func(t *testing.T, b []byte, scale int) {
		if len(b) == 0 || scale < -50 || scale > 50 {
			return
		}
		d := DecimalFromBytes(b, scale)
		want := new(big.Int).SetBytes(b)
		if b[0]&0x80 != 0 {
			want.Sub(want, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
		}
		if got := DecimalUnscaled(DecimalFromBytes(DecimalBytes(d, scale), scale), scale); got.Cmp(want) != 0 {
			t.Fatalf("% x scale %d: %v, want %v", b, scale, got, want)
		}
	})
}
