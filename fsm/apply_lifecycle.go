package fsm

func init() {
	registerCommand(func() *LastActiveConfigSet { return new(LastActiveConfigSet) }, applyLastActiveConfig)
}

// LastActiveConfigSet records the plugin parameters a plugin connector last ran its lifecycle
// hook with (Conduit's last-active config), or removes that record once the OnDeleted hook has
// run (Clear). The record outlives a ConnectorDelete: it is what OnDeleted is given.
type LastActiveConfigSet struct {
	Connector string `json:"connector"`
	// Class is the connector class, so that the plugin can be found after the connector is gone.
	Class  string            `json:"class,omitempty"`
	Config map[string]string `json:"config,omitempty"`
	Clear  bool              `json:"clear,omitempty"`
	// IfIndex, when non-zero, must equal the record's ModifyIndex: a clear after OnDeleted must
	// not remove what a connector re-created under the same name has committed since.
	IfIndex uint64 `json:"if_index,omitempty"`
}

// Type implements Command.
func (*LastActiveConfigSet) Type() MessageType { return LastActiveConfigType }

// LastActiveConfig is the plugin parameters a connector's plugin last ran with successfully,
// with placeholders unresolved, so that no secret is replicated.
type LastActiveConfig struct {
	Connector   string            `json:"connector"`
	Class       string            `json:"class"`
	Config      map[string]string `json:"config"`
	ModifyIndex uint64            `json:"modify_index"`
}

func applyLastActiveConfig(tx *writeTxn, cmd *LastActiveConfigSet, index uint64) Result {
	old := tx.view().LastActiveConfig(cmd.Connector)
	if cmd.IfIndex != 0 && (old == nil || old.ModifyIndex != cmd.IfIndex) {
		return Result{Err: errorf(KindStaleConfig, "The last-active config of connector %s changed since index %d", cmd.Connector, cmd.IfIndex)}
	}
	if cmd.Clear {
		if old != nil {
			tx.remove(tableLastActive, old)
		}
		return Result{}
	}
	if cmd.Class == "" {
		return Result{Err: errorf(KindBadRequest, "The last-active config of connector %s has no connector class", cmd.Connector)}
	}
	tx.insert(tableLastActive, &LastActiveConfig{Connector: cmd.Connector, Class: cmd.Class, Config: cmd.Config, ModifyIndex: index})
	return Result{}
}

// LastActiveConfig returns the last-active config of a connector, or nil. The value must not
// be modified.
func (s *State) LastActiveConfig(connector string) *LastActiveConfig {
	if obj := s.first(tableLastActive, connector); obj != nil {
		return obj.(*LastActiveConfig)
	}
	return nil
}

// LastActiveConfigs returns every last-active config, sorted by connector.
func (s *State) LastActiveConfigs() []*LastActiveConfig {
	var out []*LastActiveConfig
	for _, obj := range s.all(tableLastActive, "id") {
		out = append(out, obj.(*LastActiveConfig))
	}
	return out
}
