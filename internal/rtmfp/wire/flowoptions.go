package wire

import "fmt"

// User Data option types (RFC 7016 §2.3.11.1).
const (
	// OptionMetadata (0x00) carries the flow's opaque metadata; in the
	// Flash profile it is the TC metadata "TC" flags [streamID VLU]
	// (RFC 7425 §5.1), so the option reads <len> 00 54 43 04 <sid>.
	OptionMetadata uint64 = 0x00
	// OptionReturnAssociation (0x0a) is a VLU: the ID of the flow in the
	// opposite direction that this flow answers.
	OptionReturnAssociation uint64 = 0x0a
	// MandatoryOptionCutoff: an unknown option type below it must make
	// the receiver reject the flow; types at or above it are ignored
	// (rtmfp-cpp USERDATA_OPTION_MANDATORY_CUTOFF).
	MandatoryOptionCutoff uint64 = 0x2000
)

// IsMandatoryOption reports whether a receiver that does not understand an
// option of type t must reject the flow.
func IsMandatoryOption(t uint64) bool { return t < MandatoryOptionCutoff }

// FlowOptions is the decoded option list of a flow's first fragments.
// Metadata aliases the input.
type FlowOptions struct {
	Metadata    []byte
	HasMetadata bool

	ReturnAssociation    FlowID
	HasReturnAssociation bool

	// UnknownMandatory is set when an option of unknown type below
	// MandatoryOptionCutoff was present: the flow must be rejected with a
	// Flow Exception Report.
	UnknownMandatory bool
}

// ParseFlowOptions decodes a User Data option list (without its marker, as
// in UserData.Options) without allocating. A later option of the same type
// overrides an earlier one, as in rtmfp-cpp. A return association whose
// value is not a VLU is an error (rtmfp-cpp drops the chunk).
func ParseFlowOptions(list []byte) (FlowOptions, error) {
	var o FlowOptions
	r := NewOptionReader(list)
	for opt, ok := r.Next(); ok; opt, ok = r.Next() {
		switch {
		case opt.Type == OptionMetadata:
			o.Metadata, o.HasMetadata = opt.Value, true
		case opt.Type == OptionReturnAssociation:
			v, _, err := ParseVLU(opt.Value)
			if err != nil {
				return FlowOptions{}, fmt.Errorf("return association: %w", err)
			}
			o.ReturnAssociation, o.HasReturnAssociation = FlowID(v), true
		case IsMandatoryOption(opt.Type):
			o.UnknownMandatory = true
		}
	}
	if err := r.Err(); err != nil {
		return FlowOptions{}, err
	}
	if r.SawMarker() {
		return FlowOptions{}, fmt.Errorf("marker inside option list: %w", ErrMalformed)
	}
	return o, nil
}

// AppendMetadataOption appends an OptionMetadata option carrying md.
func AppendMetadataOption(b, md []byte) []byte { return AppendOption(b, OptionMetadata, md) }

// AppendReturnAssociationOption appends an OptionReturnAssociation option
// naming the flow id.
func AppendReturnAssociationOption(b []byte, id FlowID) []byte {
	return AppendOptionVLU(b, OptionReturnAssociation, uint64(id))
}
