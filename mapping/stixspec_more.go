package mapping

// The STIX 2.1 types no mapping rule emits but that imported or pushed
// objects may be: validated by the same code as mapped objects.
var moreTypes = map[string]typeSpec{
	"incident": {kind: kindSDO, props: []string{"name", "description", "kill_chain_phases"}, required: []string{"name"}},
	"malware-analysis": {kind: kindSDO, props: []string{"product", "version", "host_vm_ref", "operating_system_ref",
		"installed_software_refs", "configuration_version", "modules", "analysis_engine_version",
		"analysis_definition_version", "submitted", "analysis_started", "analysis_ended", "result_name", "result",
		"analysis_sco_refs", "sample_ref"}, required: []string{"product"}},
	"opinion": {kind: kindSDO, props: []string{"explanation", "authors", "opinion", "object_refs"},
		required: []string{"opinion", "object_refs"},
		vocab:    vocabOf("opinion", []string{"strongly-disagree", "disagree", "neutral", "agree", "strongly-agree"})},
	"sighting": {kind: kindSRO, props: []string{"description", "first_seen", "last_seen", "count", "sighting_of_ref",
		"observed_data_refs", "where_sighted_refs", "summary"}, required: []string{"sighting_of_ref"}},
	"artifact": {kind: kindSCO, props: []string{"mime_type", "payload_bin", "url", "hashes", "encryption_algorithm",
		"decryption_key"}},
	"directory": {kind: kindSCO, props: []string{"path", "path_enc", "ctime", "mtime", "atime", "contains_refs"},
		required: []string{"path"}},
	"email-message": {kind: kindSCO, props: []string{"is_multipart", "date", "content_type", "from_ref", "sender_ref",
		"to_refs", "cc_refs", "bcc_refs", "message_id", "subject", "received_lines", "additional_header_fields", "body",
		"body_multipart", "raw_email_ref"}, required: []string{"is_multipart"}},
	"mutex": {kind: kindSCO, props: []string{"name"}, required: []string{"name"}},
	"network-traffic": {kind: kindSCO, props: []string{"start", "end", "is_active", "src_ref", "dst_ref", "src_port",
		"dst_port", "protocols", "src_byte_count", "dst_byte_count", "src_packets", "dst_packets", "ipfix",
		"src_payload_ref", "dst_payload_ref", "encapsulates_refs", "encapsulated_by_ref"}, required: []string{"protocols"}},
	"process": {kind: kindSCO, props: []string{"is_hidden", "pid", "created_time", "cwd", "command_line",
		"environment_variables", "opened_connection_refs", "creator_user_ref", "image_ref", "parent_ref", "child_refs"}},
	"windows-registry-key": {kind: kindSCO, props: []string{"key", "values", "modified_time", "creator_user_ref",
		"number_of_subkeys"}},
	"x509-certificate": {kind: kindSCO, props: []string{"is_self_signed", "hashes", "version", "serial_number",
		"signature_algorithm", "issuer", "validity_not_before", "validity_not_after", "subject",
		"subject_public_key_algorithm", "subject_public_key_modulus", "subject_public_key_exponent", "x509_v3_extensions"}},
	"marking-definition": {kind: kindMeta, props: []string{"name", "definition_type", "definition"}},
	"language-content": {kind: kindSDO, props: []string{"object_ref", "object_modified", "contents"},
		required: []string{"object_ref", "contents"}},
	"extension-definition": {kind: kindSDO, props: []string{"name", "description", "schema", "version",
		"extension_types", "extension_properties"}, required: []string{"created_by_ref", "name", "schema", "version", "extension_types"}},
}

func init() {
	for _, types := range []map[string]typeSpec{moreTypes, externalTypes} {
		for name, t := range types {
			types[name] = withAllowed(t) // once, not per object validated
		}
	}
}

// externalTypes replace the engine's spec of a type for objects from
// outside: what STIX allows but the engine never writes.
var externalTypes = map[string]typeSpec{
	// The deprecated objects may stand for object_refs (STIX 2.1 §4.13).
	"observed-data": {kind: kindSDO, props: []string{"first_observed", "last_observed", "number_observed", "object_refs", "objects"},
		required: []string{"first_observed", "last_observed", "number_observed"}, oneOf: []string{"object_refs", "objects"}},
}

// lookupAnyType is lookupType for objects from outside the mapping: every
// STIX 2.1 type, and custom x- types (SDOs whose own properties are their
// author's business).
func lookupAnyType(name string) (typeSpec, bool) {
	if t, ok := externalTypes[name]; ok {
		return t, true
	}
	if t, ok := lookupType(name); ok {
		return t, true
	}
	if t, ok := moreTypes[name]; ok {
		return t, true
	}
	if isCustomType(name) {
		return typeSpec{kind: kindCustom, custom: true}, true
	}
	return typeSpec{}, false
}
