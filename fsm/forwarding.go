package fsm

// leaderOnly are the commands only the leader's own coordinator writes: the signing key, the
// assignment and the Raft-backed worker registry. A follower forwarding one is refused, so that
// a stolen or replayed signature cannot rewrite who runs what or which key signs.
var leaderOnly = map[MessageType]bool{
	SessionKeyType:       true,
	AssignmentType:       true,
	WorkerRegisterType:   true,
	WorkerDeregisterType: true,
}

// FollowerMayForward reports whether a follower may ask the leader to commit an entry of type t.
func FollowerMayForward(t MessageType) bool {
	if leaderOnly[t] {
		return false
	}
	_, known := appliers[t]
	return known
}
