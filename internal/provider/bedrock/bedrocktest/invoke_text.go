package bedrocktest

import (
	"encoding/json"
)

// jsonObject is a canned body or chunk, marshalled with sorted keys.
type jsonObject = map[string]any

// textAnswer is the InvokeModel body of a text family (native_text.go),
// in the shape of the family's answer.
func textAnswer(tgt target, nat *nativeRequest, g generation, u Usage) []byte {
	switch {
	case nat.family == familyMistral && !nat.chat:
		return mustJSON(jsonObject{"outputs": []jsonObject{{"text": g.text, "stop_reason": llamaReason(g.stopReason)}}})
	case nat.family == familyDeepSeek && !nat.chat:
		return mustJSON(jsonObject{"choices": []jsonObject{{"text": g.text, "stop_reason": llamaReason(g.stopReason)}}})
	case nat.family == familyTitanText:
		return mustJSON(jsonObject{
			"inputTextTokenCount": u.InputTokens,
			"results":             []jsonObject{{"tokenCount": u.OutputTokens, "outputText": g.text, "completionReason": titanReason(g.stopReason)}},
		})
	case nat.family == familyNova:
		return mustJSON(jsonObject{
			"output":     jsonObject{"message": jsonObject{"role": "assistant", "content": []jsonObject{{"text": g.text}}}},
			"stopReason": g.stopReason,
			"usage": jsonObject{
				"inputTokens": u.InputTokens, "outputTokens": u.OutputTokens, "totalTokens": u.Total(),
				"cacheReadInputTokenCount": u.CacheReadInputTokens, "cacheWriteInputTokenCount": u.CacheWriteInputTokens,
			},
		})
	case nat.family == familyCohere && nat.chat:
		return mustJSON(cohereChatResponse(nat, g))
	case nat.family == familyCohere:
		id := stableID(36, nat.modelID, nat.userText)
		return mustJSON(jsonObject{
			"id": id, "prompt": nat.userText,
			"generations": []jsonObject{{"id": id, "text": g.text, "finish_reason": cohereReason(g.stopReason)}},
		})
	}
	// Mistral's chat completion writes stop_reason where OpenAI writes
	// finish_reason, and reports no usage.
	if nat.family == familyMistral {
		return mustJSON(jsonObject{"choices": []jsonObject{{
			"index": 0, "message": jsonObject{"role": "assistant", "content": g.text}, "stop_reason": llamaReason(g.stopReason),
		}}})
	}
	return mustJSON(jsonObject{
		"id": "chatcmpl-" + stableID(24, nat.modelID, nat.userText), "object": "chat.completion", "model": tgt.model.ID,
		"choices": []jsonObject{{
			"index": 0, "message": jsonObject{"role": "assistant", "content": g.text}, "finish_reason": llamaReason(g.stopReason),
		}},
		"usage": choicesUsage(u),
	})
}

// textChunks are the stream chunks of a text family's answer: one per
// piece of text, then a last one with the stop reason and metrics (Bedrock
// adds amazon-bedrock-invocationMetrics to the last chunk).
func textChunks(tgt target, nat *nativeRequest, g generation, u Usage, metrics string) []string {
	piece, last, first := textChunkShapes(tgt, nat, g, u)
	var out []string
	if first != nil {
		out = append(out, string(mustJSON(first)))
	}
	for i, p := range Pieces(g.text) {
		out = append(out, string(mustJSON(piece(i, p))))
	}
	if nat.family == familyNova {
		out = append(out, novaStops(g)...)
	}
	last["amazon-bedrock-invocationMetrics"] = json.RawMessage(metrics)
	return append(out, string(mustJSON(last)))
}

// textChunkShapes returns a family's chunk of piece i, its last chunk,
// and a chunk that opens the stream (nil when the family sends none).
func textChunkShapes(tgt target, nat *nativeRequest, g generation, u Usage) (piece func(int, string) jsonObject, last, first jsonObject) {
	switch {
	case nat.family == familyMistral && !nat.chat:
		return func(_ int, p string) jsonObject {
				return jsonObject{"outputs": []jsonObject{{"text": p, "stop_reason": nil}}}
			},
			jsonObject{"outputs": []jsonObject{{"text": "", "stop_reason": llamaReason(g.stopReason)}}}, nil
	case nat.family == familyMistral:
		return func(_ int, p string) jsonObject {
				return jsonObject{"choices": []jsonObject{{"index": 0, "message": jsonObject{"role": "assistant", "content": p}, "stop_reason": nil}}}
			},
			jsonObject{"choices": []jsonObject{{"index": 0, "message": jsonObject{"role": "assistant", "content": ""}, "stop_reason": llamaReason(g.stopReason)}}}, nil
	case nat.family == familyDeepSeek && !nat.chat:
		return func(_ int, p string) jsonObject {
				return jsonObject{"choices": []jsonObject{{"text": p, "stop_reason": nil}}}
			},
			jsonObject{"choices": []jsonObject{{"text": "", "stop_reason": llamaReason(g.stopReason)}}}, nil
	case nat.family == familyTitanText:
		return func(i int, p string) jsonObject {
				c := jsonObject{"outputText": p, "index": 0, "totalOutputTextTokenCount": i + 1, "completionReason": nil, "inputTextTokenCount": nil}
				if i == 0 {
					c["inputTextTokenCount"] = u.InputTokens
				}
				return c
			},
			jsonObject{"outputText": "", "index": 0, "totalOutputTextTokenCount": u.OutputTokens, "completionReason": titanReason(g.stopReason)}, nil
	case nat.family == familyNova:
		return func(_ int, p string) jsonObject {
				return jsonObject{"contentBlockDelta": jsonObject{"delta": jsonObject{"text": p}, "contentBlockIndex": 0}}
			},
			jsonObject{"metadata": jsonObject{"usage": jsonObject{"inputTokens": u.InputTokens, "outputTokens": u.OutputTokens}, "metrics": jsonObject{}, "trace": jsonObject{}}},
			jsonObject{"messageStart": jsonObject{"role": "assistant"}}
	case nat.family == familyCohere && nat.chat:
		return func(_ int, p string) jsonObject {
				return jsonObject{"is_finished": false, "event_type": "text-generation", "text": p}
			},
			jsonObject{"is_finished": true, "event_type": "stream-end", "finish_reason": cohereReason(g.stopReason), "response": cohereChatResponse(nat, g)},
			jsonObject{"is_finished": false, "event_type": "stream-start", "generation_id": stableID(36, nat.modelID, nat.userText)}
	case nat.family == familyCohere:
		return func(_ int, p string) jsonObject { return jsonObject{"text": p, "is_finished": false} },
			jsonObject{"is_finished": true, "finish_reason": cohereReason(g.stopReason)}, nil
	}
	id := "chatcmpl-" + stableID(24, nat.modelID, nat.userText)
	chunk := func(delta jsonObject, finish any) jsonObject {
		return jsonObject{
			"id": id, "object": "chat.completion.chunk", "model": tgt.model.ID,
			"choices": []jsonObject{{"index": 0, "delta": delta, "finish_reason": finish}},
		}
	}
	last = chunk(jsonObject{}, llamaReason(g.stopReason))
	last["usage"] = choicesUsage(u)
	return func(_ int, p string) jsonObject { return chunk(jsonObject{"content": p}, nil) },
		last, chunk(jsonObject{"role": "assistant", "content": ""}, nil)
}

// novaStops are the chunks Nova's stream sends between its text and its
// metadata: the end of the block, and of the message.
func novaStops(g generation) []string {
	return []string{
		string(mustJSON(jsonObject{"contentBlockStop": jsonObject{"contentBlockIndex": 0}})),
		string(mustJSON(jsonObject{"messageStop": jsonObject{"stopReason": g.stopReason}})),
	}
}

// cohereChatResponse is Command R's whole answer, also the response of
// its stream-end event.
func cohereChatResponse(nat *nativeRequest, g generation) jsonObject {
	return jsonObject{
		"response_id": stableID(36, nat.modelID, "response", nat.userText), "generation_id": stableID(36, nat.modelID, nat.userText),
		"text": g.text, "finish_reason": cohereReason(g.stopReason),
		"chat_history": []jsonObject{{"role": "USER", "message": nat.userText}, {"role": "CHATBOT", "message": g.text}},
	}
}

func choicesUsage(u Usage) jsonObject {
	return jsonObject{"prompt_tokens": u.InputTokens, "completion_tokens": u.OutputTokens, "total_tokens": u.Total()}
}

// titanReason is Titan Text's completionReason of a canned stop reason.
func titanReason(stop string) string {
	switch stop {
	case StopMaxTokens:
		return "LENGTH"
	case StopSequence:
		return "STOP_CRITERIA_MET"
	}
	return "FINISH"
}

// cohereReason is Cohere's finish_reason of a canned stop reason.
func cohereReason(stop string) string {
	if stop == StopMaxTokens {
		return "MAX_TOKENS"
	}
	return "COMPLETE"
}
