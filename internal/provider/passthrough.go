package provider

import "context"

// Invoke sends a model-native body on the route: to its first deployment
// whose provider takes native bodies (Bedrock), falling back as
// ChatCompletion does.
func Invoke(ctx context.Context, rt *Route, req *NativeRequest) (*NativeAnswer, Outcome, error) {
	return Call(ctx, rt, func(ctx context.Context, d *Deployment) (*NativeAnswer, error) {
		p, ok := d.Provider.(Passthrough)
		if !ok {
			return nil, Unsupported("model-native request bodies (the native /chat route passes them to Bedrock only)")
		}
		r := *req
		r.Model = d.Model
		return p.Invoke(ctx, &r)
	})
}

// InvokeStream opens a native answer stream on the route; see Invoke.
func InvokeStream(ctx context.Context, rt *Route, req *NativeRequest) (NativeStream, Outcome, error) {
	return Call(ctx, rt, func(ctx context.Context, d *Deployment) (NativeStream, error) {
		p, ok := d.Provider.(Passthrough)
		if !ok {
			return nil, Unsupported("model-native request bodies (the native /chat route passes them to Bedrock only)")
		}
		r := *req
		r.Model = d.Model
		s, err := p.InvokeStream(ctx, &r)
		if err != nil {
			return nil, err
		}
		return peek(s)
	})
}
