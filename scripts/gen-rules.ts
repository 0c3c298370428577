/** `npm run gen:rules`: writes rules/README.md (see rules-readme.ts). */
import { writeFileSync } from 'node:fs';
import { rulesReadme } from './rules-readme';

writeFileSync('rules/README.md', rulesReadme());
console.log('wrote rules/README.md');
