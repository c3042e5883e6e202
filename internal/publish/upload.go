package publish

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	stypes "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"golang.org/x/sync/errgroup"
)

// uploadConcurrency is how many parts of one zip go up at once.
const uploadConcurrency = 4

func (p *publisher) stageStep(t *target) step {
	url := "s3://" + t.bucket + "/" + t.key
	parts := (t.a.size + p.o.partSize - 1) / p.o.partSize
	return step{
		calls: fixed(
			fmt.Sprintf("%s  s3:CreateMultipartUpload %s", t.region, url),
			fmt.Sprintf("%s  s3:UploadPart %s ×%d (%s in parts of %s)", t.region, url, parts, sizeNote(t.a.size), sizeNote(p.o.partSize)),
			fmt.Sprintf("%s  s3:CompleteMultipartUpload %s", t.region, url),
		),
		run: func(ctx context.Context) error {
			if err := stage(ctx, p.clients.S3(t.region), t.bucket, t.key, t.a, p.o.partSize); err != nil {
				t.res.Status, t.res.Reason = StatusFailed, "staging the zip in S3 failed, nothing was published: "+err.Error()
				return err
			}
			t.staged = true
			return nil
		},
	}
}

// unstageStep deletes the staging object; a failure only warns, the version being published already.
func (p *publisher) unstageStep(t *target) step {
	url := "s3://" + t.bucket + "/" + t.key
	return step{
		calls: fixed(fmt.Sprintf("%s  s3:DeleteObject %s", t.region, url)),
		run: func(ctx context.Context) error {
			if !t.staged {
				return nil
			}
			_, err := p.clients.S3(t.region).DeleteObject(context.WithoutCancel(ctx), &s3.DeleteObjectInput{Bucket: aws.String(t.bucket), Key: aws.String(t.key)})
			if err != nil {
				fmt.Fprintf(p.o.Out, "  warning: the staging object %s is left behind: %v\n", url, awsErr("s3:DeleteObject", url, err))
			}
			return nil
		},
	}
}

// stage uploads a zip in parts read straight from the file (a seekable body for each part, so the SDK
// can sign and retry it over plain http too), and aborts the upload on any failure.
func stage(ctx context.Context, sc S3API, bucket, key string, a *artifact, partSize int64) error {
	url := "s3://" + bucket + "/" + key
	f, err := os.Open(a.path)
	if err != nil {
		return fmt.Errorf("opening layer zip: %w", err)
	}
	defer f.Close()
	cmu, err := sc.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), ContentType: aws.String("application/zip"),
		ChecksumAlgorithm: stypes.ChecksumAlgorithmCrc32,
	})
	if err != nil {
		return awsErr("s3:PutObject", url, err)
	}
	id := cmu.UploadId
	abort := func() {
		// Detached from ctx: a cancelled run still must not leave parts that cost storage.
		sc.AbortMultipartUpload(context.WithoutCancel(ctx), &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: aws.String(key), UploadId: id})
	}
	n := int((a.size + partSize - 1) / partSize)
	done := make([]stypes.CompletedPart, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(uploadConcurrency)
	for i := range n {
		off := int64(i) * partSize
		length := min(partSize, a.size-off)
		g.Go(func() error {
			out, err := sc.UploadPart(gctx, &s3.UploadPartInput{
				Bucket: aws.String(bucket), Key: aws.String(key), UploadId: id, PartNumber: aws.Int32(int32(i + 1)),
				Body: io.NewSectionReader(f, off, length), ContentLength: aws.Int64(length),
				ChecksumAlgorithm: stypes.ChecksumAlgorithmCrc32,
			})
			if err != nil {
				return awsErr("s3:PutObject", fmt.Sprintf("%s (part %d of %d)", url, i+1, n), err)
			}
			done[i] = stypes.CompletedPart{PartNumber: aws.Int32(int32(i + 1)), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		abort()
		return err
	}
	_, err = sc.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: aws.String(bucket), Key: aws.String(key), UploadId: id,
		MultipartUpload: &stypes.CompletedMultipartUpload{Parts: done},
	})
	if err != nil {
		// A completion whose answer was lost leaves the object in place and the retry finds no upload.
		h, herr := sc.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if herr == nil && aws.ToInt64(h.ContentLength) == a.size {
			return nil
		}
		abort()
		return awsErr("s3:PutObject", url, err)
	}
	return nil
}

// readZip reads a zip of at most 50 MB for Content.ZipFile, checking it is still the one inspected.
func readZip(a *artifact) ([]byte, error) {
	b, err := os.ReadFile(a.path)
	if err != nil {
		return nil, fmt.Errorf("reading layer zip: %w", err)
	}
	sum := sha256.Sum256(b)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != a.codeSHA {
		return nil, fmt.Errorf("%s changed while publishing (sha256 %s, was %s)", a.path, got, a.codeSHA)
	}
	return b, nil
}

// statementIDs reads the Sids of a resource policy.
func statementIDs(policy string) (map[string]bool, error) {
	var doc struct {
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return nil, fmt.Errorf("reading layer policy: %w", err)
	}
	type stmt struct{ Sid string }
	var list []stmt
	if s := bytes.TrimSpace(doc.Statement); len(s) > 0 && s[0] == '{' {
		var one stmt
		if err := json.Unmarshal(s, &one); err != nil {
			return nil, fmt.Errorf("reading layer policy: %w", err)
		}
		list = append(list, one)
	} else if len(s) > 0 {
		if err := json.Unmarshal(s, &list); err != nil {
			return nil, fmt.Errorf("reading layer policy: %w", err)
		}
	}
	out := map[string]bool{}
	for _, s := range list {
		out[s.Sid] = true
	}
	return out, nil
}
