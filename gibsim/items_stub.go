package gibsim

// Placeholders until every collection has its generator.

func genAPTThreat(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genAccess(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genAccountGroup(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genBankCardGroup(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genBreached(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genDDoS(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genDarkwebForums(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genDeface(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genDiscord(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genGitRepository(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genHIThreat(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genIOCPrimary(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genMalware(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genMalwareConfig(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genMaskedCard(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genMessenger(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genMule(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genOpenProxy(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genOpenThreats(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genPhishingGroup(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genPhishingKit(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genPublicLeak(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genReaper(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genSPD(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genScanner(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genSignature(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genSocksProxy(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genThreatActor(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genTorNode(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genVPN(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genVulnerability(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
func genYara(it *Item) map[string]any {
	return map[string]any{"updatedAt": it.Updated.Format(TimeOffset)}
}
