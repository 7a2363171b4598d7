// Package feed is everything about the Anthropic Compliance API Activity Feed:
// the Activity and Actor types, the query language, the HTTP client (auth,
// pagination, retries, typed errors), the Syncer that fills a Sink, and the
// embedded activity-type catalogue. It never imports the cache.
package feed
