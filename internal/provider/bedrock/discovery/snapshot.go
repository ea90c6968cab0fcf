package discovery

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/bedrock/types"

	"github.com/outcrop/outcrop/internal/provider/bedrock"
)

// Source says where a discovered model came from.
type Source string

// The sources of a discovered model.
const (
	SourceFoundationModel    Source = "foundation-model"
	SourceSystemProfile      Source = "system-profile"
	SourceApplicationProfile Source = "application-profile"
)

// Model is one model to serve.
type Model struct {
	// Name is the public model name: the model ID, the system-defined
	// profile ID, or the application profile's ARN, as
	// bedrock-access-gateway names them.
	Name string
	// Target is the identifier sent to Bedrock. It is Name, except for a
	// foundation model only served through inference profiles, whose bare
	// ID is served by its cross-region profile.
	Target string
	// ModelID is the foundation model behind Name, for the catalog.
	ModelID string
	// Kind is chat or embedding.
	Kind bedrock.ModelKind
	// Source says what Bedrock listed.
	Source Source
	// Vision is true when Bedrock lists image input for the model.
	Vision bool
}

// Snapshot is the result of one discovery: the models to serve, sorted by
// name, and the cross-region profile of each foundation model that has
// one. It is immutable.
type Snapshot struct {
	Models []Model
	// profiles maps a foundation-model ID to its preferred system-defined
	// profile ID.
	profiles map[string]string
}

// ProfileFor returns the cross-region profile that serves a foundation
// model, for retrying a request Bedrock refused for on-demand throughput.
// A profile of the region's own geography is preferred to global.
func (s *Snapshot) ProfileFor(modelID string) (string, bool) {
	if s == nil {
		return "", false
	}
	p, ok := s.profiles[bedrock.BaseModelID(modelID)]
	return p, ok
}

// Names returns the public names, sorted.
func (s *Snapshot) Names() []string {
	if s == nil {
		return nil
	}
	names := make([]string, len(s.Models))
	for i, m := range s.Models {
		names[i] = m.Name
	}
	return names
}

// Lookup returns the model of a public name.
func (s *Snapshot) Lookup(name string) (Model, bool) {
	if s == nil {
		return Model{}, false
	}
	i, ok := slices.BinarySearchFunc(s.Models, name, func(m Model, n string) int { return strings.Compare(m.Name, n) })
	if !ok {
		return Model{}, false
	}
	return s.Models[i], true
}

// Equal reports whether two snapshots serve the same models the same way.
func (s *Snapshot) Equal(o *Snapshot) bool {
	if s == nil || o == nil {
		return s == o
	}
	return slices.Equal(s.Models, o.Models) && maps.Equal(s.profiles, o.profiles)
}

// Aliases returns the aliases whose target is a served model, and the
// names of those that are left out.
func (s *Snapshot) Aliases(aliases map[string]string) (valid map[string]string, missing []string) {
	valid = make(map[string]string, len(aliases))
	for alias, target := range aliases {
		if _, ok := s.Lookup(target); ok {
			if _, shadowed := s.Lookup(alias); !shadowed {
				valid[alias] = target
				continue
			}
		}
		missing = append(missing, alias)
	}
	slices.Sort(missing)
	return valid, missing
}

// Options shape a snapshot.
type Options struct {
	// Region picks the preferred cross-region profile geography.
	Region string
	// Allow, when not empty, keeps only the models a pattern matches.
	// Deny drops the models a pattern matches, after Allow. Patterns are
	// globs where * matches any run of characters (including / and :) and
	// ? one character, matched against the public name and the foundation
	// model ID.
	Allow, Deny []string
}

// Build combines listed foundation models and profiles into a snapshot.
// System-defined and application profiles are served when their model is
// a servable foundation model; a model only served through profiles is
// also served under its bare ID, targeting its preferred profile.
func Build(models []FoundationModel, system, application []Profile, opts Options) *Snapshot {
	s := &Snapshot{profiles: preferredProfiles(system, opts.Region)}
	byID := make(map[string]FoundationModel, len(models))
	for _, fm := range models {
		byID[fm.ID] = fm
		target := fm.ID
		if !fm.OnDemand {
			if target = s.profiles[fm.ID]; target == "" {
				continue // needs a profile, and none is listed
			}
		}
		s.add(opts, Model{Name: fm.ID, Target: target, ModelID: fm.ID, Kind: fm.Kind, Source: SourceFoundationModel, Vision: fm.Vision})
	}
	for _, p := range system {
		if fm, ok := byID[p.ModelID]; ok {
			s.add(opts, Model{Name: p.ID, Target: p.ID, ModelID: fm.ID, Kind: fm.Kind, Source: SourceSystemProfile, Vision: fm.Vision})
		}
	}
	for _, p := range application {
		if fm, ok := byID[p.ModelID]; ok && p.ARN != "" {
			s.add(opts, Model{Name: p.ARN, Target: p.ARN, ModelID: fm.ID, Kind: fm.Kind, Source: SourceApplicationProfile, Vision: fm.Vision})
		}
	}
	slices.SortFunc(s.Models, func(a, b Model) int { return strings.Compare(a.Name, b.Name) })
	s.Models = slices.CompactFunc(s.Models, func(a, b Model) bool { return a.Name == b.Name })
	return s
}

func (s *Snapshot) add(opts Options, m Model) {
	if allowed(opts, m.Name, m.ModelID) {
		s.Models = append(s.Models, m)
	}
}

func allowed(opts Options, names ...string) bool {
	matches := func(patterns []string) bool {
		for _, p := range patterns {
			for _, n := range names {
				if Glob(p, n) {
					return true
				}
			}
		}
		return false
	}
	if len(opts.Allow) > 0 && !matches(opts.Allow) {
		return false
	}
	return !matches(opts.Deny)
}

// preferredProfiles maps each foundation model to one system-defined
// profile: the region's geography first (data stays in it), then any
// other geography, then global; the smallest ID breaks ties.
func preferredProfiles(system []Profile, region string) map[string]string {
	home := bedrock.GeographyPrefix(region)
	rank := func(id string) int {
		switch geo, _ := bedrock.CrossRegionPrefix(id); {
		case geo == home && home != "":
			return 0
		case geo != "global":
			return 1
		}
		return 2
	}
	out := make(map[string]string)
	for _, p := range system {
		if p.Type != "" && p.Type != types.InferenceProfileTypeSystemDefined {
			continue
		}
		cur, ok := out[p.ModelID]
		if !ok || rank(p.ID) < rank(cur) || (rank(p.ID) == rank(cur) && p.ID < cur) {
			out[p.ModelID] = p.ID
		}
	}
	return out
}

// Glob reports whether s matches pattern, where * matches any run of
// characters (/ and : included, unlike path.Match, since model IDs and
// ARNs hold both) and ? any one character. Everything else is literal.
func Glob(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			pattern = strings.TrimLeft(pattern, "*")
			if pattern == "" {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if Glob(pattern, s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
			_, n := utf8.DecodeRuneInString(s)
			pattern, s = pattern[1:], s[n:]
		default:
			if s == "" || s[0] != pattern[0] {
				return false
			}
			pattern, s = pattern[1:], s[1:]
		}
	}
	return s == ""
}
