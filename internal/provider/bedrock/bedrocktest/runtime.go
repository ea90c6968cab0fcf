package bedrocktest

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
)

// runtime answers a Bedrock Runtime operation: the model identifier is
// resolved and the body validated before a scripted reply is taken, so a
// reply only answers a request Bedrock would have accepted.
func (s *Server) runtime(r *http.Request, op, id string, body []byte) *response {
	tgt, e := s.resolve(id)
	if e != nil {
		return s.errorResponse(e)
	}
	switch op {
	case OpConverse, OpConverseStream:
		req, e := parseConverse(body)
		if e == nil && !tgt.model.chat() {
			e = validation("%s", MsgNotChatModel)
		}
		if e == nil && family(tgt.model.ID) == familyAnthropic {
			e = req.checkThinking()
		}
		if e != nil {
			return s.errorResponse(e)
		}
		rep := s.reply(op, id, body)
		if op == OpConverse {
			return s.converse(req, rep)
		}
		return s.converseStream(req, rep)
	case OpInvokeModel, OpInvokeModelWithResponseStream:
		nat, e := parseNative(tgt.model.ID, body)
		if e != nil {
			return s.errorResponse(e)
		}
		if op == OpInvokeModel {
			return s.invoke(tgt, nat, s.reply(op, id, body))
		}
		if !tgt.model.Streaming {
			return s.errorResponse(validation("The model is unsupported for streaming."))
		}
		return s.invokeStream(tgt, nat, s.reply(op, id, body))
	}
	return s.countTokens(tgt, id, body)
}

// reply is the reply to a runtime request that passed the checks: the
// first queued reply that applies, else the responder's, else the default.
func (s *Server) reply(op, id string, body []byte) Reply {
	if rep, ok := s.take(op); ok {
		return rep
	}
	if s.opts.responder != nil {
		if rep, ok := s.opts.responder(Request{Operation: op, ModelID: id, Body: body}); ok {
			return rep
		}
	}
	return s.fallback(op)
}

// countTokensRequest is CountTokens' body: exactly one input form.
type countTokensRequest struct {
	Input *struct {
		Converse    json.RawMessage `json:"converse"`
		InvokeModel *struct {
			Body *string `json:"body"`
		} `json:"invokeModel"`
	} `json:"input"`
}

// countTokens answers CountTokens with the count Converse or InvokeModel
// would report as input tokens for the same input.
func (s *Server) countTokens(tgt target, id string, body []byte) *response {
	n, e := countInput(tgt.model.ID, body)
	if e != nil {
		return s.errorResponse(e)
	}
	rep := s.reply(OpCountTokens, id, body)
	if r := s.scripted(rep, false); r != nil {
		return finish(r, rep)
	}
	if rep.Usage != nil {
		n = rep.Usage.InputTokens
	}
	return finish(jsonResponse(mustJSON(map[string]int{"inputTokens": n})), rep)
}

func countInput(modelID string, body []byte) (int, *Error) {
	var req countTokensRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return 0, validation("Malformed input request: %v, please reformat your input and try again.", err)
	}
	var c constraintErrors
	if req.Input == nil {
		c.add("null", "input", "not be null")
		return 0, c.err()
	}
	switch in := req.Input; {
	case in.Converse != nil && in.InvokeModel != nil, in.Converse == nil && in.InvokeModel == nil:
		return 0, validation("Exactly one of converse or invokeModel must be set in input.")
	case in.Converse != nil:
		conv, e := parseConverse(in.Converse)
		if e != nil {
			return 0, e
		}
		return conv.inputTokens(), nil
	case in.InvokeModel.Body == nil:
		c.add("null", "input.invokeModel.body", "not be null")
		return 0, c.err()
	}
	raw, err := base64.StdEncoding.DecodeString(*req.Input.InvokeModel.Body)
	if err != nil {
		return 0, validation("Malformed input request: body is not valid base64, please reformat your input and try again.")
	}
	nat, e := parseNative(modelID, raw)
	if e != nil {
		return 0, e
	}
	return nat.inputTokens, nil
}
