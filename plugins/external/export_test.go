package external

// IssueToken registers a connector token as launch does for a plugin process, and returns it
// with the address of the connector utilities the process would be given.
func (h *Host) IssueToken(connectorID string) (token, target string) {
	token = newToken()
	h.mu.Lock()
	h.tokens[token] = connectorID
	h.mu.Unlock()
	return token, h.ln.Addr().String()
}
