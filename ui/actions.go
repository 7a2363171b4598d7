package ui

import (
	"claudit/feed"
	"claudit/ui/safe"
)

// viewTitle is a view's palette entry. The name and query come from the
// analyst's config file, and are sanitised like any text from outside.
func viewTitle(v View, red *feed.Redactor) string {
	return "view " + safe.Text(red.String(v.Name)) + " — " + safe.Text(red.String(v.Query))
}
