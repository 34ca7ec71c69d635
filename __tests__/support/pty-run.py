#!/usr/bin/env python3
"""Runs a shell command on a pseudo-terminal, as a person at a terminal would, and answers prompts.

usage: pty-run.py COMMAND
Every prompt the command prints that ends in '): ' and starts with an upper-case VARIABLE name is
answered with 'typed-VARIABLE'. Prints everything the terminal showed, then 'EXIT <code>'.
"""
import os, pty, re, select, sys

pid, fd = pty.fork()
if pid == 0:
    os.execvp('bash', ['bash', '-c', sys.argv[1]])

shown = b''
answered = 0
while True:
    ready, _, _ = select.select([fd], [], [], 60)
    if not ready:
        shown += b'\n[pty-run: no output for 60 s]\n'
        os.kill(pid, 9)
        break
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    shown += chunk
    prompts = re.findall(rb'(?m)^([A-Z][A-Z0-9_]*) \([^\n]*\): ', shown)
    while answered < len(prompts):
        os.write(fd, b'typed-' + prompts[answered] + b'\n')
        answered += 1
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode('utf8', 'replace'))
sys.stdout.write('\nEXIT %d\n' % os.waitstatus_to_exitcode(status))
