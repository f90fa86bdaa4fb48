package tc

import (
	"fmt"
)

// Command is an AMF0 command (message types 20 and 17, RFC 7425 §5.1.2): a
// name, a transaction ID (0 when no answer is expected), a command object
// (almost always null) and arguments.
//
//	+---------------+--------------------+----------------+-----------/-+
//	| name (string) | transaction (num)  | command object | args …      |
//	+---------------+--------------------+----------------+-----------/-+
//
// A command with no value after the transaction ID parses with Object set to
// Undefined{}, so that it can be told apart from an explicit null (nil).
type Command struct {
	Name          string
	TransactionID float64
	Object        Value
	Args          []Value
}

// ParseCommand decodes the AMF0 payload of a command (as returned by
// Message.AMF) with lim. A missing or non-string name, or a missing or
// non-numeric transaction ID, fails with ErrBadCommand.
func ParseCommand(amf []byte, lim Limits) (Command, error) {
	d := NewDecoder(amf, lim)
	var c Command
	name, err := d.Decode()
	if err != nil {
		return Command{}, fmt.Errorf("tc: command name: %w", err)
	}
	var ok bool
	if c.Name, ok = name.(string); !ok {
		return Command{}, fmt.Errorf("tc: command name is %s: %w", typeName(name), ErrBadCommand)
	}
	tid, err := d.Decode()
	if err != nil {
		return Command{}, fmt.Errorf("tc: %q transaction ID: %w", c.Name, err)
	}
	if c.TransactionID, ok = tid.(float64); !ok {
		return Command{}, fmt.Errorf("tc: %q transaction ID is %s: %w", c.Name, typeName(tid), ErrBadCommand)
	}
	c.Object = Undefined{}
	if d.More() {
		if c.Object, err = d.Decode(); err != nil {
			return Command{}, fmt.Errorf("tc: %q command object: %w", c.Name, err)
		}
	}
	if c.Args, err = d.DecodeAll(); err != nil {
		return Command{}, fmt.Errorf("tc: %q arguments: %w", c.Name, err)
	}
	return c, nil
}

// ParseCommandMessage decodes a command from a TC message of type
// TypeCommand or TypeCommandEx.
func ParseCommandMessage(m Message, lim Limits) (Command, error) {
	if m.Type != TypeCommand && m.Type != TypeCommandEx {
		return Command{}, fmt.Errorf("tc: %v message is not a command: %w", m.Type, ErrWrongType)
	}
	amf, err := m.AMF()
	if err != nil {
		return Command{}, err
	}
	return ParseCommand(amf, lim)
}

// Append appends the command's AMF0 payload. On error b is returned
// unchanged.
func (c Command) Append(b []byte) ([]byte, error) {
	n := len(b)
	b = AppendString(b, c.Name)
	b = AppendNumber(b, c.TransactionID)
	var err error
	if b, err = AppendValue(b, c.Object); err != nil {
		return b[:n], fmt.Errorf("tc: %q command object: %w", c.Name, err)
	}
	if b, err = AppendValues(b, c.Args...); err != nil {
		return b[:n], fmt.Errorf("tc: %q arguments: %w", c.Name, err)
	}
	return b, nil
}

// AppendMessage appends c as a whole TC message of type TypeCommand with
// timestamp ts. On error b is returned unchanged.
func (c Command) AppendMessage(b []byte, ts Timestamp) ([]byte, error) {
	n := len(b)
	b = AppendMessageHeader(b, TypeCommand, ts)
	b, err := c.Append(b)
	if err != nil {
		return b[:n], err
	}
	return b, nil
}

// Arg returns argument i, or Undefined{} when there are fewer arguments.
func (c Command) Arg(i int) Value {
	if i < 0 || i >= len(c.Args) {
		return Undefined{}
	}
	return c.Args[i]
}

// DataMessage is an AMF0 data message (types 18 and 15): a handler name and
// arguments, with no transaction ID. NetStream.send, @setDataFrame and
// |RtmpSampleAccess are data messages.
//
//	+------------------+-----------/-+
//	| handler (string) | args …      |
//	+------------------+-----------/-+
type DataMessage struct {
	Handler string
	Args    []Value
}

// ParseData decodes the AMF0 payload of a data message with lim.
func ParseData(amf []byte, lim Limits) (DataMessage, error) {
	d := NewDecoder(amf, lim)
	name, err := d.Decode()
	if err != nil {
		return DataMessage{}, fmt.Errorf("tc: data handler name: %w", err)
	}
	h, ok := name.(string)
	if !ok {
		return DataMessage{}, fmt.Errorf("tc: data handler name is %s: %w", typeName(name), ErrBadCommand)
	}
	args, err := d.DecodeAll()
	if err != nil {
		return DataMessage{}, fmt.Errorf("tc: %q data arguments: %w", h, err)
	}
	return DataMessage{Handler: h, Args: args}, nil
}

// ParseDataMessage decodes a data message from a TC message of type
// TypeData or TypeDataEx.
func ParseDataMessage(m Message, lim Limits) (DataMessage, error) {
	if m.Type != TypeData && m.Type != TypeDataEx {
		return DataMessage{}, fmt.Errorf("tc: %v message is not data: %w", m.Type, ErrWrongType)
	}
	amf, err := m.AMF()
	if err != nil {
		return DataMessage{}, err
	}
	return ParseData(amf, lim)
}

// Append appends the data message's AMF0 payload. On error b is returned
// unchanged.
func (dm DataMessage) Append(b []byte) ([]byte, error) {
	n := len(b)
	b = AppendString(b, dm.Handler)
	b, err := AppendValues(b, dm.Args...)
	if err != nil {
		return b[:n], fmt.Errorf("tc: %q data arguments: %w", dm.Handler, err)
	}
	return b, nil
}

// AppendMessage appends dm as a whole TC message of type TypeData with
// timestamp ts. On error b is returned unchanged.
func (dm DataMessage) AppendMessage(b []byte, ts Timestamp) ([]byte, error) {
	n := len(b)
	b = AppendMessageHeader(b, TypeData, ts)
	b, err := dm.Append(b)
	if err != nil {
		return b[:n], err
	}
	return b, nil
}

// typeName names the AMF0 type of a decoded value for error messages.
func typeName(v Value) string {
	switch v.(type) {
	case nil:
		return "null"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case string:
		return "a string"
	case Undefined:
		return "undefined"
	case *Object:
		return "an object"
	case *ECMAArray:
		return "an ECMA array"
	case []Value:
		return "a strict array"
	case Date:
		return "a date"
	case XMLDocument:
		return "an XML document"
	}
	return fmt.Sprintf("%T", v)
}
