package commit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/connectd/connectd/fsm"
	"github.com/connectd/connectd/internal/signing"
)

// ApplyPath is where followers send the leader commands to commit.
const ApplyPath = "/connectd/internal/apply"

// applyAnswer is the leader's answer to a forwarded command.
type applyAnswer struct {
	Result fsm.Result `json:"result"`
	Index  uint64     `json:"index"`
}

// ServeApply is the leader's half of a forwarded write: it commits the command in body (already
// read and its signature checked) and waits for the commit or for the request to end. A node
// that is not (or no longer) the leader answers ErrNoLeader, which the forwarding node takes as
// "ask the new leader".
func (c *Committer) ServeApply(w http.ResponseWriter, r *http.Request, body []byte) error {
	if len(body) == 0 {
		return ErrEmptyCommand
	}
	// Only commands every replica can apply may enter the log: one that does not decode here
	// would stop every node that meets it.
	if err := fsm.Check(body); err != nil {
		return &UnknownCommandError{Err: err}
	}
	if t := fsm.MessageType(body[0]); !fsm.FollowerMayForward(t) {
		return &NotForwardableError{Type: t}
	}
	res, index, err := c.applyLocal(r.Context(), body)
	if err != nil {
		return err
	}
	return writeJSON(w, applyAnswer{Result: res, Index: index})
}

// forward sends an encoded command to the leader's apply endpoint, signed with the cluster's
// session key.
func (c *Committer) forward(ctx context.Context, leaderURL string, data []byte) (fsm.Result, uint64, error) {
	key := c.deps.FSM.State().SessionKey()
	if key == nil {
		return fsm.Result{}, 0, ErrNoLeader
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, leaderURL+ApplyPath, bytes.NewReader(data))
	if err != nil {
		return fsm.Result{}, 0, err
	}
	signing.Sign(req, key, data)
	resp, err := c.deps.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return fsm.Result{}, 0, &TimeoutError{Stage: StageLeaderAnswer}
		}
		// The leader may have just died, before or after it committed; the caller retries once
		// a new one is known.
		c.deps.Logger.Debug("forward to leader failed", "leader", leaderURL, "err", err)
		return fsm.Result{}, 0, errMaybeCommitted
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fsm.Result{}, 0, errMaybeCommitted
	}
	switch resp.StatusCode {
	case http.StatusOK:
		var out applyAnswer
		if err := json.Unmarshal(body, &out); err != nil {
			return fsm.Result{}, 0, fmt.Errorf("decode leader answer: %w", err)
		}
		return out.Result, out.Index, nil
	case http.StatusConflict:
		// The one conflict this endpoint answers is ErrNoLeader: the state machine's own
		// refusals come in a 200 answer's result. The leader may have lost its leadership after
		// the entry went to its log.
		return fsm.Result{}, 0, errMaybeCommitted
	}
	var remote RemoteError
	if json.Unmarshal(body, &remote) != nil || remote.Code == 0 {
		remote = RemoteError{Code: resp.StatusCode, Message: string(body)}
	}
	return fsm.Result{}, 0, &remote
}

func writeJSON(w http.ResponseWriter, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write(append(body, '\n'))
	return err
}
