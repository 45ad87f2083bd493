"""Reruns the `rescind eval|explain|check` samples in the given Markdown files with the
debug binary and prints each whose output differs from what the file shows.

    swift build && python3 Scripts/check-doc-samples.py README.md docs/*.md

Samples that pipe, use `<(...)` or /tmp copies are skipped; abbreviated outputs (`...`)
are reported and must be read by eye. `rescind check` runs with RESCIND_TODAY=2026-12-05,
the day the docs' calendar-coverage warning was captured."""
import os,re,subprocess,sys
ROOT=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY=os.path.join(ROOT,'.build/debug/rescind')
def blocks(path):
    lines=open(path).read().split('\n')
    i=0;out=[]
    while i<len(lines):
        if lines[i].startswith('```console') or lines[i].startswith('```sh') or lines[i]=='```':
            j=i+1
            while j<len(lines) and not lines[j].startswith('```'): j+=1
            body=lines[i+1:j]
            k=0
            while k<len(body):
                if body[k].startswith('$ '):
                    cmd=body[k][2:]; m=k+1; o=[]
                    while m<len(body) and not body[m].startswith('$ '): o.append(body[m]); m+=1
                    out.append((i+1+k+1,cmd,'\n'.join(o)))
                    k=m
                else: k+=1
            i=j+1
        else: i+=1
    return out
for path in sys.argv[1:]:
    for line,cmd,expected in blocks(path):
        if not re.match(r'(swift run )?rescind (eval|explain|check)\b',cmd) or '|' in cmd or '<(' in cmd or '/tmp' in cmd: continue
        real=re.sub(r'^(swift run )?rescind',BINARY,cmd)
        r=subprocess.run(real,shell=True,capture_output=True,text=True,cwd=ROOT,env={'PATH':'/usr/bin:/bin','RESCIND_TODAY':'2026-12-05'})
        got=(r.stdout+r.stderr).rstrip('\n')
        if got!=expected.rstrip('\n'):
            print(f"MISMATCH {path}:{line}: {cmd}")
            import difflib
            for d in list(difflib.unified_diff(expected.rstrip('\n').split('\n'),got.split('\n'),lineterm='',n=0))[:12]: print('   ',d[:160])
