package api

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/connectd/connectd/connect"
	"github.com/connectd/connectd/fsm"
)

// hooked is a connector whose alter-offsets hook answers as told.
type hooked struct {
	connect.Connector
	managed bool
	err     error
}

func (h hooked) AlterOffsets(map[string]string, []connect.PartitionOffset) (bool, error) {
	return h.managed, h.err
}

// plain is a connector without the hook.
type plain struct{ connect.Connector }

func TestCallAlterOffsets(t *testing.T) {
	c := &fsm.Connector{Name: "c", Config: map[string]string{}}
	tests := []struct {
		name        string
		conn        connect.Connector
		wantManaged bool
		wantErr     string
	}{
		{name: "no hook: framework-managed only", conn: plain{}},
		{name: "hook accepts", conn: hooked{managed: true}, wantManaged: true},
		{name: "hook keeps its own offsets", conn: hooked{}},
		{name: "hook vetoes", conn: hooked{err: errors.New("no such position")}, wantErr: "no such position"},
		{name: "hook unsupported", conn: hooked{err: fmt.Errorf("read-only: %w", errors.ErrUnsupported)},
			wantErr: "Failed to modify offsets for connector c because it doesn't support external modification of offsets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			managed, err := callAlterOffsets(c, tt.conn, nil)
			if tt.wantErr != "" {
				if e := asError(err); e.Code != http.StatusInternalServerError || e.Message != tt.wantErr {
					t.Fatalf("error %v, want 500 %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || managed != tt.wantManaged {
				t.Fatalf("managed %v, err %v; want %v", managed, err, tt.wantManaged)
			}
		})
	}
}
