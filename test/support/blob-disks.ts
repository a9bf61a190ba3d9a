/**
 * Disk images as blobs in Azurite (test/support/azurite.ts), as Azure holds them: page blobs
 * (a managed disk or snapshot is one; only the non-zero 4 MiB pieces are written, so a 64 GiB
 * sparse disk costs what it holds) and block blobs (a VHD/VHDX an image build uploads), and
 * read-only SAS URLs for them, signed with Azurite's well-known account key — the URL form
 * `az disk grant-access` returns. Shared by test/disk-image-blob.test.ts and bench/image-gate.ts.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import {
  BlobSASPermissions, BlobServiceClient, SASProtocol, StorageSharedKeyCredential, generateBlobSASQueryParameters, type ContainerClient,
} from '@azure/storage-blob';
import { AZURITE_ACCOUNT, type Azurite } from './azurite.js';
import { SAS_VERSION } from '../../src/azure/package-blobs.js';

/** Azurite's well-known development account key (public, in Azurite's documentation). */
const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
export const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);

/** Creates container `name` in Azurite (shared-key client trusting the test certificate). */
export async function createContainer(azurite: Azurite, name: string): Promise<ContainerClient> {
  const service = new BlobServiceClient(azurite.accountUrl, credential, { tlsOptions: { ca: azurite.cert.certPem } } as ConstructorParameters<typeof BlobServiceClient>[2]);
  const container = service.getContainerClient(name);
  await container.create();
  return container;
}

/** A read-only SAS URL for `blob` in `container` through `accountUrl` (Azurite or a proxy), valid until `expiresOn`. */
export function sasUrl(accountUrl: string, container: string, blob: string, expiresOn = new Date(Date.now() + 3_600_000)): string {
  const sas = generateBlobSASQueryParameters({
    containerName: container, blobName: blob, permissions: BlobSASPermissions.parse('r'),
    startsOn: new Date(Date.now() - 300_000), expiresOn, protocol: SASProtocol.Https, version: SAS_VERSION,
  }, credential).toString();
  return `${accountUrl}/${container}/${blob}?${sas}`;
}

/** `file`'s data extents as qemu-img sees them (SEEK_DATA/SEEK_HOLE): the holes of a sparse file are skipped. */
export function dataExtents(file: string): Array<{ start: number; length: number }> {
  const map = JSON.parse(execFileSync('qemu-img', ['map', '--output=json', '-f', 'raw', file], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as Array<{ start: number; length: number; data: boolean }>;
  return map.filter((e) => e.data);
}

/** Fills `file` (a multiple of 512 bytes) into a new page blob, writing only its non-zero 4 MiB pieces of its data extents. */
export async function uploadPageBlob(container: ContainerClient, name: string, file: string, extents = dataExtents(file)): Promise<void> {
  const size = statSync(file).size;
  if (size % 512 !== 0) throw new Error(`${file}: ${size} bytes: a page blob is a multiple of 512 bytes`);
  const page = container.getPageBlobClient(name);
  await page.create(size);
  const piece = 4 * 1024 * 1024;
  const buf = Buffer.alloc(piece);
  const fd = openSync(file, 'r');
  try {
    for (const e of extents) {
      const end = Math.min(size, Math.ceil((e.start + e.length) / 512) * 512);
      for (let at = e.start - (e.start % 512); at < end; at += piece) {
        const n = Math.min(piece, end - at);
        readSync(fd, buf, 0, n, at);
        const bytes = buf.subarray(0, n);
        if (bytes.some((b) => b !== 0)) await page.uploadPages(bytes, at, n);
      }
    }
  } finally {
    closeSync(fd);
  }
}

export async function uploadBlockBlob(container: ContainerClient, name: string, file: string): Promise<void> {
  await container.getBlockBlobClient(name).uploadFile(file);
}
