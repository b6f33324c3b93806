package gibsim

import (
	"fmt"
	"strings"
	"time"
)

// Generators of the open-source intelligence collections:
// osi/git_repository, osi/public_leak and osi/vulnerability.

// genGitRepository renders an osi/git_repository item: a public repository
// with files matching a customer's keywords. dateDetected is the latest
// detection and follows the update. Each file carries its own evaluation.
func genGitRepository(it *Item) map[string]any {
	s := it.Stable()
	user := "dev" + it.Hex(4)
	repo := fmt.Sprintf("https://github.com/%s/%s", user, it.Name())
	email := it.Email("dev." + it.Domain())
	files := []any{}
	for range 1 + s.IntN(3) {
		files = append(files, gitFile(it, repo, user, email))
	}
	return map[string]any{
		"name": repo, "source": "github",
		"contributors": []any{map[string]any{"authorEmail": email, "authorName": user}},
		"numberOf":     map[string]any{"contributors": 1, "files": len(files)},
		"dataFound":    map[string]any{"password": len(files)}, "matchesTypes": it.OneOrMany([]string{"keyword"}),
		"files":       files,
		"dateCreated": msk(it.FirstSeen), "dateDetected": msk(it.Updated),
		"isFavourite": false, "isHidden": false, "isIgnore": false,
		"evaluation": it.Evaluation(30),
	}
}

// gitFile renders one files[] element of a repository, with one revision.
func gitFile(it *Item, repo, user, email string) map[string]any {
	name := it.Pick("src/app.config", "config/settings.yml", ".env", "deploy/secrets.json")
	return map[string]any{
		"id": it.Hex(40), "name": name, "url": repo + "/blob/main/" + name,
		"dateCreated": msk(it.FirstSeen), "dateDetected": utc(it.Updated),
		"matchesType": []string{"keyword"}, "matchesTypeCount": map[string]any{"keyword": 1}, "dataFound": []any{},
		"revisions": []any{map[string]any{
			"hash": it.SHA1(),
			"info": map[string]any{"authorEmail": email, "authorName": user, "timestamp": earlier(it, it.FirstSeen, 48).Unix()},
			"bind": []any{map[string]any{"bindBy": "corp-keyword", "companyId": 1000 + it.Stable().IntN(9000),
				"data": "corp-keyword", "ruleId": it.Stable().IntN(1000000), "type": "keyword"}},
			"data": nil,
		}},
		"evaluation": it.Evaluation(30),
	}
}

// genPublicLeak renders an osi/public_leak item: a paste whose id is its
// hash. matches is an object of lists, or when nothing matched {} or
// (under drift) [].
func genPublicLeak(it *Item) map[string]any {
	domain := "corp-" + it.Domain()
	email := it.Email(domain)
	var matches any = map[string]any{
		"email":  map[string]any{"email": it.OneOrMany([]string{email})},
		"domain": map[string]any{"domain": it.OneOrMany([]string{domain})},
	}
	if it.Stable().IntN(5) == 0 {
		matches = map[string]any{}
		if it.Drift() {
			matches = []any{}
		}
	}
	data := fmt.Sprintf("simulated paste mentioning %s (revision %d)", email, it.Revision)
	paste := it.Hex(8)
	return map[string]any{
		"hash": it.ID, "data": data, "language": "text", "size": fmt.Sprintf("%d B", len(data)),
		"created": msk(it.FirstSeen), "updated": msk(it.Updated),
		"linkList": []any{map[string]any{
			"link": "https://paste.example/" + paste, "source": "paste.example", "author": "guest", "title": "Untitled",
			"hash": it.SHA1(), "dateDetected": msk(it.FirstSeen), "datePublished": msk(earlier(it, it.FirstSeen, 12)),
			"itemSource": "", "size": len(data), "status": 1, "sequenceUpdate": it.FirstSeen.UnixMicro(),
		}},
		"matches":    matches,
		"bind":       []any{},
		"evaluation": it.Evaluation(30),
	}
}

// genVulnerability renders an osi/vulnerability item. The id is a CVE
// (then also in cveList, with CVSS and EPSS) or a WPVDB advisory (no CVSS,
// the zero EPSS date). Exploit data changes on update.
func genVulnerability(it *Item) map[string]any {
	isCVE := strings.HasPrefix(it.ID, "CVE-")
	r := it.Rand()
	m := map[string]any{
		"title": it.ID, "description": fmt.Sprintf("Simulated vulnerability %s (revision %d).", it.ID, it.Revision),
		"extDescription": it.Blankable("Simulated extended description."),
		"provider":       "vulners.com",
		"affectedSoftware": []any{map[string]any{"name": "example_" + it.Hex(4), "operator": "lt",
			"version": fmt.Sprintf("%d.%d", 1+it.Stable().IntN(9), it.Stable().IntN(10))}},
		"cpeTable": []any{}, "softwareMixed": []any{}, "darkweb": []any{}, "twitter": []any{},
		"githubLinkList": []any{}, "threats": []any{}, "threatsList": []any{}, "timeLineData": []any{},
		"hasExploit": it.Revision > 0 && r.IntN(2) == 0, "exploitCount": it.Revision, "exploitList": []any{},
		"seenInTheWild": r.IntN(10) == 0,
		"datePublished": msk(it.FirstSeen), "dateModified": msk(it.Updated), "dateLastSeen": msk(it.Updated),
		"published": msk(it.FirstSeen), "modified": msk(it.Updated), "lastseen": msk(it.Updated),
		"evaluation": it.Evaluation(30),
	}
	for k, v := range advisoryFields(it, isCVE) {
		m[k] = v
	}
	return m
}

// advisoryFields renders what differs between CVE and advisory items.
func advisoryFields(it *Item, isCVE bool) map[string]any {
	score := float64(10+it.Stable().IntN(90)) / 10
	if !isCVE {
		href := "https://wpvulndb.example/vulnerabilities/" + strings.TrimPrefix(it.ID, "WPVDB-ID:")
		return map[string]any{
			"type": "wpvulndb", "bulletinFamily": "software", "reporter": "wpvulndb", "href": href,
			"references": []string{}, "cveList": []string{},
			"cvss": map[string]any{"score": 0, "vector": "NONE"}, "mergedCvss": 0, "cvssAttackVector": "",
			"epss": map[string]any{"cve": "", "epss": 0, "percentile": 0, "date": "0001-01-01T00:00:00Z"},
		}
	}
	href := "https://nvd.example.org/vuln/detail/" + it.ID
	return map[string]any{
		"type": "cve", "bulletinFamily": "NVD", "reporter": "NVD", "href": href,
		"references": it.OneOrMany([]string{href}), "cveList": it.OneOrMany([]string{it.ID}),
		"cvss": map[string]any{"score": score, "vector": "AV:N/AC:L/Au:N/C:P/I:P/A:P"},
		"extCvss": map[string]any{"base": score, "overall": score, "exploitability": 3.9, "impact": 5.9,
			"temporal": 0, "environmental": 0, "mImpact": 0, "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
		"mergedCvss": score, "cvssAttackVector": "NETWORK",
		"epss": map[string]any{"cve": it.ID, "epss": float64(it.Rand().IntN(1000)) / 1000,
			"percentile": float64(it.Rand().IntN(1000)) / 1000, "date": it.Updated.UTC().Truncate(24 * time.Hour).Format(TimeZ)},
	}
}
