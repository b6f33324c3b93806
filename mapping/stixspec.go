package mapping

import (
	"strings"

	"github.com/TcM1911/stix2"
)

// typeSpec is what the engine knows of one STIX 2.1 type: its kind, the
// properties it may carry beyond the common ones, and the required ones.
type typeSpec struct {
	kind     typeKind
	props    []string
	required []string
	// idProps are an SCO's id-contributing properties (STIX 2.1 §6).
	idProps []string
	// vocab maps a property to its open vocabulary.
	vocab map[string]map[string]bool
	// allowed are the common properties of the kind and props, as a set:
	// every property of every object is checked against it.
	allowed map[string]bool
	// custom is set for x- types: any property.
	custom bool
	// oneOf are properties of which at least one is required.
	oneOf []string
}

// withAllowed fills a spec's allowed set.
func withAllowed(t typeSpec) typeSpec {
	t.allowed = set(append(append([]string{}, commonProps[t.kind]...), t.props...)...)
	return t
}

func init() {
	for name, t := range stixTypes {
		stixTypes[name] = withAllowed(t)
	}
}

type typeKind int

const (
	kindSDO typeKind = iota
	kindSRO
	kindSCO
	kindMeta   // marking-definition: no modified, no revoked
	kindCustom // an x- or extension-defined type: type, spec_version and id only
)

// commonProps are allowed on every object of a kind (§3.2).
var commonProps = map[typeKind][]string{
	kindSDO: {"type", "spec_version", "id", "created_by_ref", "created", "modified", "revoked", "labels",
		"confidence", "lang", "external_references", "object_marking_refs", "granular_markings", "extensions"},
	kindSRO: {"type", "spec_version", "id", "created_by_ref", "created", "modified", "revoked", "labels",
		"confidence", "lang", "external_references", "object_marking_refs", "granular_markings", "extensions"},
	kindSCO: {"type", "spec_version", "id", "object_marking_refs", "granular_markings", "defanged", "extensions"},
	kindMeta: {"type", "spec_version", "id", "created_by_ref", "created", "external_references", "object_marking_refs",
		"granular_markings", "extensions"},
}

// stixTypes covers the STIX 2.1 types a mapping may emit.
var stixTypes = map[string]typeSpec{
	"attack-pattern":   {kind: kindSDO, props: []string{"name", "description", "aliases", "kill_chain_phases"}, required: []string{"name"}},
	"campaign":         {kind: kindSDO, props: []string{"name", "description", "aliases", "first_seen", "last_seen", "objective"}, required: []string{"name"}},
	"course-of-action": {kind: kindSDO, props: []string{"name", "description"}, required: []string{"name"}},
	"grouping": {kind: kindSDO, props: []string{"name", "description", "context", "object_refs"},
		required: []string{"context", "object_refs"}},
	"identity": {kind: kindSDO, props: []string{"name", "description", "roles", "identity_class", "sectors", "contact_information"},
		required: []string{"name"}, vocab: vocabOf("identity_class", identityClasses)},
	"indicator": {kind: kindSDO, props: []string{"name", "description", "indicator_types", "pattern", "pattern_type",
		"pattern_version", "valid_from", "valid_until", "kill_chain_phases"},
		required: []string{"pattern", "pattern_type", "valid_from"},
		vocab:    merge(vocabOf("indicator_types", indicatorTypes), vocabOf("pattern_type", patternTypes))},
	"infrastructure": {kind: kindSDO, props: []string{"name", "description", "infrastructure_types", "aliases",
		"kill_chain_phases", "first_seen", "last_seen"}, required: []string{"name"},
		vocab: vocabOf("infrastructure_types", infrastructureTypes)},
	"intrusion-set": {kind: kindSDO, props: []string{"name", "description", "aliases", "first_seen", "last_seen", "goals",
		"resource_level", "primary_motivation", "secondary_motivations"}, required: []string{"name"},
		vocab: merge(vocabOf("resource_level", resourceLevels), vocabOf("primary_motivation", motivations),
			vocabOf("secondary_motivations", motivations))},
	"location": {kind: kindSDO, props: []string{"name", "description", "latitude", "longitude", "precision", "region",
		"country", "administrative_area", "city", "street_address", "postal_code"}},
	"malware": {kind: kindSDO, props: []string{"name", "description", "malware_types", "is_family", "aliases",
		"kill_chain_phases", "first_seen", "last_seen", "operating_system_refs", "architecture_execution_envs",
		"implementation_languages", "capabilities", "sample_refs"}, required: []string{"is_family"},
		vocab: vocabOf("malware_types", malwareTypes)},
	"note":          {kind: kindSDO, props: []string{"abstract", "content", "authors", "object_refs"}, required: []string{"content", "object_refs"}},
	"observed-data": {kind: kindSDO, props: []string{"first_observed", "last_observed", "number_observed", "object_refs"}, required: []string{"first_observed", "last_observed", "number_observed", "object_refs"}},
	"report": {kind: kindSDO, props: []string{"name", "description", "report_types", "published", "object_refs"},
		required: []string{"name", "published", "object_refs"}, vocab: vocabOf("report_types", reportTypes)},
	"threat-actor": {kind: kindSDO, props: []string{"name", "description", "threat_actor_types", "aliases", "first_seen",
		"last_seen", "roles", "goals", "sophistication", "resource_level", "primary_motivation",
		"secondary_motivations", "personal_motivations"}, required: []string{"name"},
		vocab: merge(vocabOf("threat_actor_types", threatActorTypes), vocabOf("roles", threatActorRoles),
			vocabOf("sophistication", sophistication), vocabOf("resource_level", resourceLevels),
			vocabOf("primary_motivation", motivations))},
	"tool": {kind: kindSDO, props: []string{"name", "description", "tool_types", "aliases", "kill_chain_phases", "tool_version"},
		required: []string{"name"}, vocab: vocabOf("tool_types", toolTypes)},
	"vulnerability": {kind: kindSDO, props: []string{"name", "description"}, required: []string{"name"}},
	"relationship": {kind: kindSRO, props: []string{"relationship_type", "description", "source_ref", "target_ref",
		"start_time", "stop_time"}, required: []string{"relationship_type", "source_ref", "target_ref"}},

	"autonomous-system": {kind: kindSCO, props: []string{"number", "name", "rir"}, required: []string{"number"}, idProps: []string{"number"}},
	"domain-name":       {kind: kindSCO, props: []string{"value", "resolves_to_refs"}, required: []string{"value"}, idProps: []string{"value"}},
	"email-addr":        {kind: kindSCO, props: []string{"value", "display_name", "belongs_to_ref"}, required: []string{"value"}, idProps: []string{"value"}},
	"ipv4-addr":         {kind: kindSCO, props: []string{"value", "resolves_to_refs", "belongs_to_refs"}, required: []string{"value"}, idProps: []string{"value"}},
	"ipv6-addr":         {kind: kindSCO, props: []string{"value", "resolves_to_refs", "belongs_to_refs"}, required: []string{"value"}, idProps: []string{"value"}},
	"mac-addr":          {kind: kindSCO, props: []string{"value"}, required: []string{"value"}, idProps: []string{"value"}},
	"url":               {kind: kindSCO, props: []string{"value"}, required: []string{"value"}, idProps: []string{"value"}},
	"file": {kind: kindSCO, props: []string{"hashes", "size", "name", "name_enc", "magic_number_hex", "mime_type",
		"ctime", "mtime", "atime", "parent_directory_ref", "contains_refs", "content_ref"},
		idProps: []string{"hashes", "name", "extensions", "parent_directory_ref"}},
	"user-account": {kind: kindSCO, props: []string{"user_id", "credential", "account_login", "account_type", "display_name",
		"is_service_account", "is_privileged", "can_escalate_privs", "is_disabled", "account_created", "account_expires",
		"credential_last_changed", "account_first_login", "account_last_login"},
		idProps: []string{"account_type", "user_id", "account_login"}},
	"software": {kind: kindSCO, props: []string{"name", "cpe", "swid", "languages", "vendor", "version"},
		required: []string{"name"}, idProps: []string{"name", "cpe", "swid", "vendor", "version"}},
}

// relationshipsAllowed lists (source type, relationship, target types) of
// the STIX 2.1 relationship summary tables that the mapping may use;
// related-to, derived-from and duplicate-of are allowed separately.
var relationshipsAllowed = map[string]map[string][]string{
	"indicator": {"indicates": {"attack-pattern", "campaign", "infrastructure", "intrusion-set", "malware", "threat-actor", "tool"},
		"based-on": {"observed-data"}},
	"malware": {"uses": {"attack-pattern", "infrastructure", "malware", "tool"},
		"targets":           {"identity", "infrastructure", "location", "vulnerability"},
		"communicates-with": {"domain-name", "ipv4-addr", "ipv6-addr", "url"},
		"authored-by":       {"threat-actor", "intrusion-set"}, "exploits": {"vulnerability"},
		"variant-of": {"malware"}, "originates-from": {"location"}, "downloads": {"file", "malware", "tool"},
		"drops": {"file", "malware", "tool"}},
	"intrusion-set": {"uses": {"attack-pattern", "infrastructure", "malware", "tool"},
		"targets": {"identity", "location", "vulnerability"}, "attributed-to": {"threat-actor"},
		"originates-from": {"location"}, "compromises": {"infrastructure"}, "hosts": {"infrastructure"}, "owns": {"infrastructure"}},
	"threat-actor": {"uses": {"attack-pattern", "infrastructure", "malware", "tool"},
		"targets": {"identity", "location", "vulnerability"}, "attributed-to": {"identity"},
		"impersonates": {"identity"}, "located-at": {"location"}, "compromises": {"infrastructure"},
		"hosts": {"infrastructure"}, "owns": {"infrastructure"}},
	"campaign": {"uses": {"attack-pattern", "infrastructure", "malware", "tool"},
		"targets": {"identity", "location", "vulnerability"}, "attributed-to": {"intrusion-set", "threat-actor"},
		"originates-from": {"location"}, "compromises": {"infrastructure"}},
	"attack-pattern": {"uses": {"malware", "tool"}, "targets": {"identity", "location", "vulnerability"}, "delivers": {"malware"}},
	"tool": {"uses": {"infrastructure"}, "targets": {"identity", "infrastructure", "location", "vulnerability"},
		"delivers": {"malware"}, "drops": {"malware"}, "has": {"vulnerability"}},
	"infrastructure": {"communicates-with": {"infrastructure", "ipv4-addr", "ipv6-addr", "domain-name", "url"},
		"consists-of": {"infrastructure", "observed-data", "domain-name", "ipv4-addr", "ipv6-addr", "url", "file"},
		"has":         {"vulnerability"}, "hosts": {"tool", "malware"}, "located-at": {"location"},
		"uses": {"infrastructure"}, "controls": {"infrastructure", "malware"}, "delivers": {"malware"}},
	"identity":    {"located-at": {"location"}},
	"domain-name": {"resolves-to": {"domain-name", "ipv4-addr", "ipv6-addr"}},
	"ipv4-addr":   {"resolves-to": {"mac-addr"}, "belongs-to": {"autonomous-system"}},
	"ipv6-addr":   {"resolves-to": {"mac-addr"}, "belongs-to": {"autonomous-system"}},
}

// relationshipAllowed reports whether the STIX 2.1 tables allow it.
func relationshipAllowed(source, rel, target string) bool {
	switch rel {
	case "related-to":
		return true
	case "derived-from", "duplicate-of":
		return source == target
	}
	for _, t := range relationshipsAllowed[source][rel] {
		if t == target {
			return true
		}
	}
	return false
}

// Open vocabularies (§10), from the stix2 library's constants where it has
// them.
var (
	identityClasses = []string{stix2.IdentityClassIndividual, stix2.IdentityClassGroup, stix2.IdentityClassSystem,
		stix2.IdentityClassOrganization, stix2.IdentityClassClass, stix2.IdentityClassUnknown}
	indicatorTypes = []string{stix2.IndicatorTypeAnomalousActivity, stix2.IndicatorTypeAnonymization,
		stix2.IndicatorTypeBenign, stix2.IndicatorTypeCompromised, stix2.IndicatorTypeMaliciousActivity,
		stix2.IndicatorTypeAttribution, stix2.IndicatorTypeUnknown}
	patternTypes = []string{stix2.PatternTypeSTIX, stix2.PatternTypePCRE, stix2.PatternTypeSigma,
		stix2.PatternTypeSnort, stix2.PatternTypeSuricata, stix2.PatternTypeYara}
	infrastructureTypes = []string{stix2.InfrastructureTypeAmplification, stix2.InfrastructureTypeAnonymization,
		stix2.InfrastructureTypeBotnet, stix2.InfrastructureTypeCommandAndControl, stix2.InfrastructureTypeExfiltration,
		stix2.InfrastructureTypeHostingMalware, stix2.InfrastructureTypeHostingTargetLists, stix2.InfrastructureTypePhishing,
		stix2.InfrastructureTypeReconnaissance, stix2.InfrastructureTypeStaging, stix2.InfrastructureTypeWorkstation,
		stix2.InfrastructureTypeUndefined}
	resourceLevels = []string{stix2.AttackResourceLevelIndividual, stix2.AttackResourceLevelClub,
		stix2.AttackResourceLevelContest, stix2.AttackResourceLevelTeam, stix2.AttackResourceLevelOrganization,
		stix2.AttackResourceLevelGovernment}
	motivations = []string{stix2.AttackMotivationAccidental, stix2.AttackMotivationCoercion,
		stix2.AttackMotivationDominance, stix2.AttackMotivationIdeology, stix2.AttackMotivationNotoriety,
		stix2.AttackMotivationOrganizationalGain, stix2.AttackMotivationPersonalGain,
		stix2.AttackMotivationPersonalSatisfaction, stix2.AttackMotivationRevenge, stix2.AttackMotivationUnpredictable}
	malwareTypes = []string{stix2.MalwareTypeAdware, stix2.MalwareTypeBackdoor, stix2.MalwareTypeBot,
		stix2.MalwareTypeBootkit, stix2.MalwareTypeDDoS, stix2.MalwareTypeDownloader, stix2.MalwareTypeDropper,
		stix2.MalwareTypeExploitKit, stix2.MalwareTypeKeylogger, stix2.MalwareTypeRansomware,
		stix2.MalwareTypeRemoteAccessTrojan, stix2.MalwareTypeResourceExploitation,
		stix2.MalwareTypeRogueSecuritySoftware, stix2.MalwareTypeRootkit, stix2.MalwareTypeScreenCapture,
		stix2.MalwareTypeSpyware, stix2.MalwareTypeTrojan, stix2.MalwareTypeUnknown, stix2.MalwareTypeVirus,
		stix2.MalwareTypeWebshell, stix2.MalwareTypeWiper, stix2.MalwareTypeWorm}
	reportTypes = []string{stix2.ReportTypeAttackPattern, stix2.ReportTypeCampaign, stix2.ReportTypeIdentity,
		stix2.ReportTypeIndicator, stix2.ReportTypeIntrusionSet, stix2.ReportTypeMalware, stix2.ReportTypeObservedData,
		stix2.ReportTypeThreatActor, stix2.ReportTypeThreatReport, stix2.ReportTypeTool, stix2.ReportTypeVulnerability}
	threatActorTypes = []string{stix2.ThreatActorTypeActivist, stix2.ThreatActorTypeCompetitor,
		stix2.ThreatActorTypeCrimeSyndicate, stix2.ThreatActorTypeCriminal, stix2.ThreatActorTypeHacker,
		stix2.ThreatActorTypeInsiderAccidental, stix2.ThreatActorTypeInsiderDisgruntled, stix2.ThreatActorTypeNationState,
		stix2.ThreatActorTypeSensationalist, stix2.ThreatActorTypeSpy, stix2.ThreatActorTypeTerrorist,
		stix2.ThreatActorTypeUnknown}
	threatActorRoles = []string{stix2.ThreatActorRoleAgent, stix2.ThreatActorRoleDirector, stix2.ThreatActorRoleIndependent,
		stix2.ThreatActorRoleInfrastructureArchitect, stix2.ThreatActorRoleInfrastructureOperator,
		stix2.ThreatActorRoleMalwareAuthor, stix2.ThreatActorRoleSponsor}
	sophistication = []string{stix2.ThreatActorSophisticationNone, stix2.ThreatActorSophisticationMinimal,
		stix2.ThreatActorSophisticationIntermediate, stix2.ThreatActorSophisticationAdvanced,
		stix2.ThreatActorSophisticationExpert, stix2.ThreatActorSophisticationInnovator,
		stix2.ThreatActorSophisticationStrategic}
	toolTypes = []string{stix2.ToolTypeDenialOfService, stix2.ToolTypeExploitation, stix2.ToolTypeInformationGathering,
		stix2.ToolTypeNetworkCapture, stix2.ToolTypeCredentialExploitation, stix2.ToolTypeRemoteAccess,
		stix2.ToolTypeVulnerabilityScanning, stix2.ToolTypeUnknown}
)

func vocabOf(prop string, values []string) map[string]map[string]bool {
	set := map[string]bool{}
	for _, v := range values {
		set[v] = true
	}
	return map[string]map[string]bool{prop: set}
}

func merge(ms ...map[string]map[string]bool) map[string]map[string]bool {
	out := map[string]map[string]bool{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// allowsProperty reports whether a type may carry a property: its own,
// the common ones of its kind, or a custom x_ property.
func (t typeSpec) allowsProperty(name string) bool {
	return t.custom || t.allowed[name] || strings.HasPrefix(name, "x_")
}

// lookupType returns the spec of a STIX type; custom x- types are SDOs
// with any property.
func lookupType(name string) (typeSpec, bool) {
	if t, ok := stixTypes[name]; ok {
		return t, true
	}
	return typeSpec{}, false
}
