package awsarn

import "testing"

func TestLayer(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1":      "arn:aws:lambda:us-east-1:123456789012:layer:deps",
		"cn-north-1":     "arn:aws-cn:lambda:cn-north-1:123456789012:layer:deps",
		"us-gov-west-1":  "arn:aws-us-gov:lambda:us-gov-west-1:123456789012:layer:deps",
		"us-isob-east-1": "arn:aws-iso-b:lambda:us-isob-east-1:123456789012:layer:deps",
		"us-iso-east-1":  "arn:aws-iso:lambda:us-iso-east-1:123456789012:layer:deps",
	} {
		if got := Layer(region, "123456789012", "deps"); got != want {
			t.Errorf("%s: %s, want %s", region, got, want)
		}
	}
}
