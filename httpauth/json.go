package httpauth

import (
	"encoding/json"
	"net/http"
)

// The error codes this package answers with.
const (
	CodeUnauthorized     = "UNAUTHORIZED"      // 401: no valid session
	CodeInvalidOrigin    = "INVALID_ORIGIN"    // 403: the Origin check failed
	CodeStoreUnavailable = "STORE_UNAVAILABLE" // 503: the session store failed
	CodeInternal         = "INTERNAL_ERROR"    // 500: WriteJSON could not encode
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WriteError answers {"error":{"code":code,"message":message}} with the
// given status, as WriteJSON does. The message is shown to clients: say
// what went wrong for them, never what failed inside.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	WriteJSON(w, status, errorBody{errorDetail{Code: code, Message: message}})
}

// WriteJSON answers v encoded as JSON, with Content-Type
// "application/json; charset=utf-8" and "Cache-Control: no-store" (answers
// about sessions are never to be cached). A value that cannot be encoded is
// answered 500 INTERNAL_ERROR instead. Statuses that carry no body (204,
// 304) get none.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = json.Marshal(errorBody{errorDetail{Code: CodeInternal, Message: "the response could not be encoded"}})
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if status == http.StatusNoContent || status == http.StatusNotModified || status < 200 {
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
