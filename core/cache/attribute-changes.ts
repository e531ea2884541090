/**
 * Which attributes of a file changed, in words ("mode 0644 -> 0755", "owner 0:0 ->
 * 1000:1000", "content"): what a COPY miss and an image diff both say about one path, so a
 * learner sees the umask drift between a laptop and CI instead of "changed build.sh".
 */

/** The attributes a content checksum covers (content-hasher.ts), as comparable values. */
export interface FileAttrs {
  type: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Symlink target (or a hardlink's target path). */
  link?: string;
  /** A fingerprint of the kept xattrs; absent when there are none. */
  xattrs?: string;
  /** A fingerprint of the bytes; absent when unknown (then size stands in for it). */
  content?: string;
}

export type AttributeName = 'type' | 'content' | 'mode' | 'owner' | 'xattr' | 'link target';

export interface AttributeChange {
  attribute: AttributeName;
  /** `mode 0644 -> 0755`, `content`, ... */
  text: string;
}

export function octalMode(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** The attributes that differ between `a` and `b`, in a fixed order; [] when none. */
export function attributeChanges(a: FileAttrs, b: FileAttrs): AttributeChange[] {
  const out: AttributeChange[] = [];
  if (a.type !== b.type) out.push({ attribute: 'type', text: `type ${a.type} -> ${b.type}` });
  const contentKnown = a.content !== undefined && b.content !== undefined;
  if (a.size !== b.size || (contentKnown && a.content !== b.content))
    out.push({
      attribute: 'content',
      text: a.size === b.size ? 'content' : `content (${a.size} -> ${b.size} bytes)`,
    });
  if ((a.mode & 0o7777) !== (b.mode & 0o7777))
    out.push({ attribute: 'mode', text: `mode ${octalMode(a.mode)} -> ${octalMode(b.mode)}` });
  if (a.uid !== b.uid || a.gid !== b.gid)
    out.push({ attribute: 'owner', text: `owner ${a.uid}:${a.gid} -> ${b.uid}:${b.gid}` });
  if ((a.xattrs ?? '') !== (b.xattrs ?? '')) out.push({ attribute: 'xattr', text: 'xattrs' });
  if ((a.link ?? '') !== (b.link ?? ''))
    out.push({
      attribute: 'link target',
      text: `link target ${a.link ?? '(none)'} -> ${b.link ?? '(none)'}`,
    });
  return out;
}
