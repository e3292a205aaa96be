package render

import (
	"fmt"
	"html/template"
	"time"
)

// funcs returns the template functions documented in the package comment.
// They are pure: the same arguments always give the same bytes, which the
// build's byte-identical output depends on.
func funcs() template.FuncMap {
	return template.FuncMap{
		"t":        translate,
		"count":    count,
		"date":     readableDate,
		"isodate":  func(t time.Time) string { return t.UTC().Format("2006-01-02") },
		"datetime": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"articles": func(lang string, list []ArticleSummary) ArticleList { return ArticleList{lang, list} },
		"pageof":   pageOf,
		"pagename": pageName,
		"showing":  showing,
	}
}

// ArticleList is what the "articles" partial renders: a list of articles and
// the language of the page it is on, which chooses the date format and the
// interface strings (the articles themselves may be in other languages).
type ArticleList struct {
	Lang     string
	Articles []ArticleSummary
}

// uiStrings are the interface strings of the default templates. A key that
// is missing fails the template (translate returns an error), so a typo in a
// template cannot ship as a raw key; the tests execute every page in both
// languages.
var uiStrings = map[string]map[string]string{
	"ja": {
		"skip":              "本文へスキップ",
		"search":            "検索",
		"searchLabel":       "記事を検索（エラーコード・メッセージ・キーワード）",
		"searchPlaceholder": "0xC004F074、ライセンス認証…",
		"searchNoJS":        "検索には JavaScript が必要です。タグまたはエラーコード一覧から探してください。",
		"mainNav":           "サイト",
		"browse":            "一覧から探す",
		"breadcrumb":        "パンくずリスト",
		"toc":               "目次",
		"related":           "関連ケース",
		"updated":           "更新日",
		"errorText":         "エラー表示",
		"codes":             "エラーコード",
		"tags":              "タグ",
		"home":              "ホーム",
		"recent":            "最近更新された記事",
		"codeIndex":         "エラーコード一覧",
		"tagIndex":          "タグ一覧",
		"tagHeading":        "タグ",
		"codeHeading":       "エラーコード",
		"noArticles":        "記事はまだありません。",
		"notFound":          "ページが見つかりません",
		"notFoundText":      "お探しのページは移動または削除された可能性があります。上の検索ボックスでエラーコードやメッセージを検索してください。",
		"notFoundCode":      "URL に含まれるエラーコードで検索:",
		"feed":              "更新フィード",
		"pagination":        "ページ送り",
		"prev":              "前へ",
		"next":              "次へ",
	},
	"en": {
		"skip":              "Skip to content",
		"search":            "Search",
		"searchLabel":       "Search articles (error code, message, keywords)",
		"searchPlaceholder": "0xC004F074, activation…",
		"searchNoJS":        "Search needs JavaScript. Browse by tag or by error code instead.",
		"mainNav":           "Site",
		"browse":            "Browse",
		"breadcrumb":        "Breadcrumb",
		"toc":               "Contents",
		"related":           "Related cases",
		"updated":           "Updated",
		"errorText":         "Error text",
		"codes":             "Error codes",
		"tags":              "Tags",
		"home":              "Home",
		"recent":            "Recently updated",
		"codeIndex":         "Error code index",
		"tagIndex":          "All tags",
		"tagHeading":        "Tag",
		"codeHeading":       "Error code",
		"noArticles":        "No articles yet.",
		"notFound":          "Page not found",
		"notFoundText":      "The page may have moved or been removed. Search for the error code or message with the box above.",
		"notFoundCode":      "Search for the error code in the address:",
		"feed":              "Feed",
		"pagination":        "Pagination",
		"prev":              "Previous",
		"next":              "Next",
	},
}

// translate returns the interface string key in lang, falling back to
// English for languages the defaults have no strings for.
func translate(lang, key string) (string, error) {
	m, ok := uiStrings[lang]
	if !ok {
		m = uiStrings["en"]
	}
	s, ok := m[key]
	if !ok {
		return "", fmt.Errorf("no interface string %q", key)
	}
	return s, nil
}

// count says how many articles there are, in lang.
func count(lang string, n int) string {
	switch {
	case lang == "ja":
		return fmt.Sprintf("%d 件", n)
	case n == 1:
		return "1 article"
	default:
		return fmt.Sprintf("%d articles", n)
	}
}

// readableDate formats t for people reading lang: Japanese pages write
// 2025年11月3日, the way dates appear in Japanese documents; other languages
// get the month spelled out, which no reader can misread as day/month.
func readableDate(t time.Time, lang string) string {
	t = t.UTC()
	if lang == "ja" {
		return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
	}
	return t.Format("January 2, 2006")
}

// pageOf says which page of how many a page of a paged list is, for its
// title: "2 / 5 ページ", "page 2 of 5".
func pageOf(lang string, n, pages int) string {
	if lang == "ja" {
		return fmt.Sprintf("%d / %d ページ", n, pages)
	}
	return fmt.Sprintf("page %d of %d", n, pages)
}

// pageName names page n for a screen reader, where the pagination nav
// shows only the number: "3 ページ目", "Page 3".
func pageName(lang string, n int) string {
	if lang == "ja" {
		return fmt.Sprintf("%d ページ目", n)
	}
	return fmt.Sprintf("Page %d", n)
}

// showing says which articles of a paged list a page shows: "95 件中
// 21〜40 件", "21–40 of 95 articles". It takes the place of count on a
// paged list, whose page holds only some of the articles counted.
func showing(lang string, first, last, total int) string {
	switch {
	case lang == "ja" && first == last:
		return fmt.Sprintf("%d 件中 %d 件目", total, first)
	case lang == "ja":
		return fmt.Sprintf("%d 件中 %d〜%d 件", total, first, last)
	case first == last:
		return fmt.Sprintf("%d of %d articles", first, total)
	default:
		return fmt.Sprintf("%d–%d of %d articles", first, last, total)
	}
}
