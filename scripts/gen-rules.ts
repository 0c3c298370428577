/** `npm run gen:rules`: writes rules/README.md (see rules-readme.ts) and the published pack schema. */
import { writeFileSync } from 'node:fs';
import { rulesReadme } from './rules-readme';
import { publishedPackSchemas } from '../rules/schema/constraint-pack';

writeFileSync('rules/README.md', rulesReadme());
console.log('wrote rules/README.md');
for (const [name, text] of Object.entries(publishedPackSchemas())) {
  writeFileSync(`rules/schema/${name}`, text);
  console.log(`wrote rules/schema/${name}`);
}
