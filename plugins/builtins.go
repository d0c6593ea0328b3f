package plugins

import "github.com/connectd/connectd/connect"

func builtins() []*Plugin {
	return []*Plugin{
		{Class: "org.apache.kafka.connect.file.FileStreamSourceConnector", Kind: KindSource, TaskClass: "org.apache.kafka.connect.file.FileStreamSourceTask",
			NewConnector: func() connect.Connector { return &FileStreamSource{} }, NewSourceTask: func() connect.SourceTask { return &fileSourceTask{} }},
		{Class: "org.apache.kafka.connect.file.FileStreamSinkConnector", Kind: KindSink, TaskClass: "org.apache.kafka.connect.file.FileStreamSinkTask",
			NewConnector: func() connect.Connector { return &FileStreamSink{} }, NewSinkTask: func() connect.SinkTask { return &fileSinkTask{} }},
		{Class: "org.apache.kafka.connect.tools.VerifiableSourceConnector", Kind: KindSource, TaskClass: "org.apache.kafka.connect.tools.VerifiableSourceTask",
			NewConnector: func() connect.Connector { return &VerifiableSource{} }, NewSourceTask: func() connect.SourceTask { return &verifiableSourceTask{} }},
		{Class: "org.apache.kafka.connect.tools.VerifiableSinkConnector", Kind: KindSink, TaskClass: "org.apache.kafka.connect.tools.VerifiableSinkTask",
			NewConnector: func() connect.Connector { return &VerifiableSink{} }, NewSinkTask: func() connect.SinkTask { return &verifiableSinkTask{} }},
		{Class: "org.apache.kafka.connect.storage.StringConverter", Kind: KindConverter, HeaderConverter: true, Config: stringConverterDef(),
			NewConverter: func() connect.Converter { return &StringConverter{} }},
		{Class: "org.apache.kafka.connect.converters.ByteArrayConverter", Kind: KindConverter, HeaderConverter: true, Config: connect.NewConfigDef(),
			NewConverter: func() connect.Converter { return &ByteArrayConverter{} }},
		{Class: "org.apache.kafka.connect.json.JsonConverter", Kind: KindConverter, HeaderConverter: true, Config: jsonConverterDef(),
			NewConverter: func() connect.Converter { return &JSONConverter{} }},
		{Class: "org.apache.kafka.connect.storage.SimpleHeaderConverter", Kind: KindHeaderConverter, Config: connect.NewConfigDef()},
	}
}

// testPlugins are the failure-injecting connectors, registered only by tests and by
// `connectd dev --test-plugins`: a production cluster does not list them.
func testPlugins() []*Plugin {
	return []*Plugin{
		{Class: "io.connectd.test.FailingSourceConnector", Kind: KindSource, TaskClass: "io.connectd.test.FailingSourceTask",
			NewConnector: func() connect.Connector { return &FailingConnector{} }, NewSourceTask: func() connect.SourceTask { return &failingSourceTask{} }},
		{Class: "io.connectd.test.FailingSinkConnector", Kind: KindSink, TaskClass: "io.connectd.test.FailingSinkTask",
			NewConnector: func() connect.Connector { return &FailingConnector{} }, NewSinkTask: func() connect.SinkTask { return &failingSinkTask{} }},
	}
}
