// Package feed is everything about the Anthropic Compliance API Activity Feed:
// the Activity and Actor types, the query language, the HTTP client (auth,
// pagination, retries, typed errors), the Syncer that fills a Sink, the
// embedded activity-type catalogue and the JSON Scanner that every reader of
// activity JSON in claudit goes through. It never imports the cache.
package feed
