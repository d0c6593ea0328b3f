package fsm

import (
	"encoding/json"
	"strconv"
	"testing"
)

// A refusal travels in forwarded answers: its kind survives the trip between nodes of this
// build, and the error_code that builds before kinds read is still there, both ways.
func TestErrorWireKeepsKindAndOlderBuildsCode(t *testing.T) {
	for kind, code := range map[Kind]int{KindBadRequest: 400, KindNotFound: 404, KindConflict: 409, KindStaleConfig: 409} {
		data, err := json.Marshal(Result{Err: errorf(kind, "m")})
		if err != nil {
			t.Fatal(err)
		}
		var old struct {
			Err struct {
				Code    int    `json:"error_code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(data, &old); err != nil || old.Err.Code != code || old.Err.Message != "m" {
			t.Fatalf("kind %d as an older build reads it: %+v %v (%s)", kind, old, err, data)
		}
		var res Result
		if err := json.Unmarshal(data, &res); err != nil || res.Err.Kind != kind || res.Err.Message != "m" {
			t.Fatalf("kind %d round trip: %+v %v (%s)", kind, res.Err, err, data)
		}
	}
	for code, kind := range map[int]Kind{400: KindBadRequest, 404: KindNotFound, 409: KindConflict} {
		var res Result
		data := []byte(`{"error":{"error_code":` + strconv.Itoa(code) + `,"message":"m"}}`)
		if err := json.Unmarshal(data, &res); err != nil || res.Err.Kind != kind {
			t.Fatalf("older build's %d: %+v %v", code, res.Err, err)
		}
	}
}
