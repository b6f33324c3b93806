package main

import (
	"log/slog"

	"github.com/gib-taxii/gib-taxii/storage"
	"github.com/gib-taxii/gib-taxii/taxii"
)

// taxiiConfig turns the validated file into the TAXII server's config.
func (c Config) taxiiConfig(pagingKey []byte, log *slog.Logger) taxii.Config {
	t := c.TAXII
	out := taxii.Config{
		ExternalURL: t.ExternalURL, Title: t.Title, Description: t.Description, Contact: t.Contact,
		DefaultAPIRoot: t.DefaultAPIRoot,
		DefaultLimit:   t.PageSize.Default, MaxLimit: t.PageSize.Max,
		PagingKey: pagingKey, NextMaxAge: t.NextMaxAge,
		Logger: log, Accept: acceptObject, StatusRetention: t.StatusRetention,
	}
	for _, r := range t.APIRoots {
		root := taxii.APIRoot{Path: r.Path, Title: r.Title, Description: r.Description, MaxContentLength: t.MaxContentLength}
		for _, cc := range r.Collections {
			root.Collections = append(root.Collections, taxii.Collection{
				Collection:    storage.Collection{ID: cc.ID, Alias: cc.Alias, Title: cc.Title, Description: cc.Description},
				AnonymousRead: cc.AnonymousRead, Writable: cc.Writable, Types: cc.Types,
			})
		}
		out.APIRoots = append(out.APIRoots, root)
	}
	for _, u := range c.Users {
		out.Users = append(out.Users, taxii.User{Name: u.Name, PasswordHash: u.PasswordHash, Permissions: c.permissionsOf(u), Lookup: u.Lookup})
	}
	return out
}

// permissionsOf resolves a user's grants by collection id; "*" grants on
// every collection and adds to specific grants.
func (c Config) permissionsOf(u userConfig) map[string]taxii.Permission {
	perms := map[string]taxii.Permission{}
	grant := func(id, name string) {
		p := perms[id]
		p.Read = p.Read || name == "read" || name == "read-write"
		p.Write = p.Write || name == "write" || name == "read-write"
		perms[id] = p
	}
	for key, name := range u.Permissions {
		if key != "*" {
			if coll, err := c.TAXII.resolveCollection(key); err == nil {
				grant(coll.ID, name)
			}
			continue
		}
		for _, r := range c.TAXII.APIRoots {
			for _, coll := range r.Collections {
				grant(coll.ID, name)
			}
		}
	}
	return perms
}
