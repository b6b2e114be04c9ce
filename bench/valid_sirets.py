# Bench helper: makes every 14-digit id of a file from ../shared/bench/gen_decp.py a valid
# SIRET (its SIREN's key and its own), so that an import writes every record instead of
# rejecting 9 in 10 ("SIRET de l'acheteur invalide"): it measures writing, which the generated
# file does not while its SIRETs are rejected.
#
#   python3 bench/valid_sirets.py IN.json OUT.json
import re, sys
def key(digits):  # the Luhn check digit to append
    for d in "0123456789":
        s = 0
        for i, c in enumerate(reversed(digits + d)):
            n = int(c)
            if i % 2 == 1:
                n = n * 2 - 9 if n * 2 > 9 else n * 2
            s += n
        if s % 10 == 0:
            return d
def fix(m):
    v = m.group(1)
    siren = v[:8] + key(v[:8])
    return '"id": "' + siren + v[9:13] + key(siren + v[9:13]) + '"'
pat = re.compile(r'"id": "(\d{14})"')
with open(sys.argv[1]) as src, open(sys.argv[2], "w") as dst:
    for line in src:
        dst.write(pat.sub(fix, line))
