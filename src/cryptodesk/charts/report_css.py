"""The inlined stylesheet of the HTML report: typography, responsive layout, print rules.

System font stacks only (the page must work offline, so no web fonts).
"""

CSS = """
:root {
  --ink: #1f2328; --muted: #57606a; --rule: #d8dee4; --accent: #0b4f8a; --paper: #ffffff; --soft: #f6f8fa;
  --serif: Georgia, "DejaVu Serif", "Times New Roman", serif;
  --sans: "Helvetica Neue", Arial, "DejaVu Sans", sans-serif;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--paper); color: var(--ink); font: 18px/1.6 var(--serif); }
main.report { max-width: 1180px; margin: 0 auto; padding: 2.5rem 1.5rem 4rem; }
header { border-bottom: 3px solid var(--ink); margin-bottom: 1.75rem; padding-bottom: 1rem; }
.kicker { font: 600 0.8rem/1.2 var(--sans); letter-spacing: 0.08em; text-transform: uppercase; color: var(--accent);
  margin: 0 0 0.6rem; }
h1.headline { font: 700 2.35rem/1.15 var(--serif); margin: 0; max-width: 22em; letter-spacing: -0.01em; }
h2 { font: 700 1.05rem/1.3 var(--sans); text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted);
  border-top: 1px solid var(--rule); padding-top: 1rem; margin: 2.5rem 0 1rem; }
.row { margin: 0 0 1.4rem; }
.row p { margin: 0; max-width: 38em; }
.row p.lead { font-size: 1.22rem; line-height: 1.55; }
.row.with-figure { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 7fr); gap: 2rem; align-items: start; }
figure.chart { margin: 0; }
.row.hero figure.chart { max-width: 820px; }
figure.chart img { display: block; width: 100%; height: auto; border: 1px solid var(--rule); border-radius: 4px; }
figcaption { font: 0.78rem/1.45 var(--sans); color: var(--muted); margin-top: 0.45rem; }
a.fact { color: inherit; text-decoration: underline; text-decoration-color: #9ab6d3; text-decoration-thickness: 2px;
  text-underline-offset: 3px; }
a.fact:hover, a.fact:focus { background: #e7f0fa; text-decoration-color: var(--accent); }
.interactive > div { margin-bottom: 2rem; }
.coverage ul { font: 0.92rem/1.5 var(--sans); color: var(--ink); padding-left: 1.2rem; }
.note { font: 0.85rem/1.5 var(--sans); color: var(--muted); }
table.ledger { width: 100%; border-collapse: collapse; font: 0.78rem/1.4 var(--sans); }
table.ledger th { text-align: left; border-bottom: 2px solid var(--ink); padding: 0.35rem 0.5rem; white-space: nowrap; }
table.ledger td { border-bottom: 1px solid var(--rule); padding: 0.3rem 0.5rem; vertical-align: top;
  overflow-wrap: anywhere; }
table.ledger tr:target { background: #fff4c2; }
table.ledger tr.missing td { color: var(--muted); }
table.ledger code { font-size: 0.95em; color: var(--muted); }
footer { margin-top: 3rem; border-top: 1px solid var(--rule); font: 0.8rem/1.4 var(--sans); color: var(--muted); }
@media (max-width: 900px) {
  body { font-size: 17px; }
  h1.headline { font-size: 1.8rem; }
  .row.with-figure { display: block; }
  figure.chart { margin-top: 1rem; }
  table.ledger { display: block; overflow-x: auto; }
}
@media print {
  @page { margin: 16mm 14mm; }
  body { font-size: 11pt; }
  main.report { max-width: none; padding: 0; }
  .interactive { display: none; }
  .row.with-figure { grid-template-columns: 1fr 1.2fr; break-inside: avoid; }
  figure.chart { break-inside: avoid; }
  a.fact { text-decoration: none; border-bottom: 1px dotted #777; }
  table.ledger { font-size: 7.5pt; }
  table.ledger tr { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""
