package plugins

import (
	"time"

	"github.com/connectd/connectd/connect"
)

// logicalNumber is the number Kafka's converters write for a time value of a logical type:
// days since the epoch for a Date, milliseconds since midnight for a Time, and milliseconds
// since the epoch for a Timestamp (or a time without a schema).
func logicalNumber(schema *connect.Schema, t time.Time) any {
	name := ""
	if schema != nil {
		name = schema.Name
	}
	switch name {
	case connect.DateName:
		ms := t.UnixMilli()
		days := ms / 86400000
		if ms < 0 && ms%86400000 != 0 {
			days--
		}
		return int32(days)
	case connect.TimeName:
		u := t.UTC()
		return int32(((u.Hour()*60+u.Minute())*60+u.Second())*1000 + u.Nanosecond()/1e6)
	}
	return t.UnixMilli()
}
