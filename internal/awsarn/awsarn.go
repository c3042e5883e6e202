// Package awsarn spells the ARNs of Lambda layers: the partition of a region and a layer's ARN, whose
// length Lambda bounds. The config (to refuse a name it could never publish) and the publisher (to name
// what it made) share it. It knows no AWS API.
package awsarn

import "strings"

// MaxLayerARN is Lambda's bound on a layer's name and on its ARN.
const MaxLayerARN = 140

// Partition is the ARN partition of a region.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}

// Layer is the ARN of a layer (without its version).
func Layer(region, account, name string) string {
	return "arn:" + Partition(region) + ":lambda:" + region + ":" + account + ":layer:" + name
}
