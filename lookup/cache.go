package lookup

import "context"

// cachedRun answers key from the cache, or runs it once for all callers
// asking at the same time and caches what it found when complete.
func (s *Service) cachedRun(ctx context.Context, key string, run func(context.Context) (Result, bool, error)) (Result, error) {
	s.count(1, 0)
	if res, ok := s.fromCache(key); ok {
		return res, nil
	}
	ch := s.flight.DoChan(key, func() (any, error) {
		// Not the first caller's context: one caller giving up must not
		// fail the others waiting on the same lookup.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Timeout)
		defer cancel()
		res, complete, err := run(rctx)
		if err == nil && complete {
			s.store(key, res)
		}
		return res, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return Result{}, r.Err
		}
		return r.Val.(Result), nil
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
}

func (s *Service) fromCache(key string) (Result, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.cache[key]
	if !ok || !s.cfg.Now().Before(c.expires) {
		return Result{}, false
	}
	s.stats.CacheHits++
	res := c.res
	res.Cached = true
	return res, true
}

func (s *Service) store(key string, res Result) {
	if s.cfg.CacheTTL < 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.cache[key]; !ok {
		s.order = append(s.order, key)
	}
	s.cache[key] = cached{res: res, expires: s.cfg.Now().Add(s.cfg.CacheTTL)}
	for len(s.order) > s.cfg.CacheEntries {
		delete(s.cache, s.order[0])
		s.order = s.order[1:]
	}
}
