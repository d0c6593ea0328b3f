package connect

import (
	"math/big"
	"strconv"
	"strings"
)

// DecimalScaleParam is the Decimal schema parameter that holds its scale.
const DecimalScaleParam = "scale"

// DecimalSchema is Kafka's Decimal logical schema: BYTES holding the unscaled value, big-endian
// two's complement, with the scale as a parameter.
func DecimalSchema(scale int, optional bool) *Schema {
	return &Schema{Type: Bytes, Name: DecimalName, Version: 1, Optional: optional,
		Parameters: map[string]string{DecimalScaleParam: strconv.Itoa(scale)}}
}

// DecimalScale is a Decimal schema's scale; false when the schema has none.
func DecimalScale(s *Schema) (int, bool) {
	if s == nil || s.Name != DecimalName {
		return 0, false
	}
	scale, err := strconv.Atoi(s.Parameters[DecimalScaleParam])
	return scale, err == nil
}

// DecimalFromUnscaled is unscaled × 10^-scale, precise enough that DecimalUnscaled gives
// unscaled back.
func DecimalFromUnscaled(unscaled *big.Int, scale int) *big.Float {
	prec := uint(unscaled.BitLen() + 64)
	d := new(big.Float).SetPrec(prec).SetInt(unscaled)
	p := new(big.Float).SetPrec(prec).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(scale))), nil))
	if scale >= 0 {
		return d.Quo(d, p)
	}
	return d.Mul(d, p)
}

// DecimalUnscaled is d × 10^scale rounded to the nearest integer: the unscaled value of d at
// that scale.
func DecimalUnscaled(d *big.Float, scale int) *big.Int {
	prec := max(d.Prec(), 64) + uint(4*abs(scale))
	p := new(big.Float).SetPrec(prec).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(scale))), nil))
	x := new(big.Float).SetPrec(prec).Set(d)
	if scale >= 0 {
		x.Mul(x, p)
	} else {
		x.Quo(x, p)
	}
	half := big.NewFloat(0.5)
	if x.Sign() < 0 {
		half.Neg(half)
	}
	n, _ := x.Add(x, half).Int(nil)
	return n
}

// DecimalFromBytes reads Kafka's Decimal encoding: the unscaled value as big-endian two's
// complement.
func DecimalFromBytes(b []byte, scale int) *big.Float {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return DecimalFromUnscaled(n, scale)
}

// DecimalBytes writes d at a scale in Kafka's Decimal encoding, in as few bytes as Java's
// BigInteger.toByteArray uses.
func DecimalBytes(d *big.Float, scale int) []byte {
	n := DecimalUnscaled(d, scale)
	size := n.BitLen()/8 + 1
	if n.Sign() >= 0 {
		return n.FillBytes(make([]byte, size))
	}
	// Two's complement of a negative n in size bytes is 2^(8·size) + n.
	c := new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), uint(8*size)), n)
	out := c.FillBytes(make([]byte, size))
	if size > 1 && out[0] == 0xFF && out[1]&0x80 != 0 {
		out = out[1:]
	}
	return out
}

// DecimalString writes d at a scale as Java's BigDecimal.toString does: plain digits with scale
// decimals, or scientific notation when the scale is negative or the number very small.
func DecimalString(d *big.Float, scale int) string {
	n := DecimalUnscaled(d, scale)
	coeff := new(big.Int).Abs(n).String()
	var b strings.Builder
	if n.Sign() < 0 {
		b.WriteByte('-')
	}
	adjusted := len(coeff) - 1 - scale
	switch {
	case scale == 0:
		b.WriteString(coeff)
	case scale > 0 && adjusted >= -6:
		if pad := scale - len(coeff); pad >= 0 {
			b.WriteString("0.")
			b.WriteString(strings.Repeat("0", pad))
			b.WriteString(coeff)
		} else {
			b.WriteString(coeff[:len(coeff)-scale])
			b.WriteByte('.')
			b.WriteString(coeff[len(coeff)-scale:])
		}
	default:
		b.WriteString(coeff[:1])
		if len(coeff) > 1 {
			b.WriteByte('.')
			b.WriteString(coeff[1:])
		}
		if adjusted != 0 {
			b.WriteByte('E')
			if adjusted > 0 {
				b.WriteByte('+')
			}
			b.WriteString(strconv.Itoa(adjusted))
		}
	}
	return b.String()
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
